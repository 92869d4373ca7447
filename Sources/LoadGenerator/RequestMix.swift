import Foundation

/// What the load sends: listings with filter combinations and single products drawn from a
/// Zipf-like popularity (a few hot, a long tail), the categories, and a small share of writes.
public struct RequestMix: Sendable {
    public enum Request: Equatable, Sendable {
        case get(String)
        case create
        case delete
    }

    public let writeRatio: Double
    private let listings: [String]
    private let listingWeights: ZipfTable
    private let productWeights: ZipfTable

    /// Listing queries, hottest first; some spell the same query two ways, as real clients do.
    static let listingQueries = [
        "/products", "/products?featured=true", "/products?category=widgets", "/products?category=gadgets",
        "/products?featured=true&category=widgets", "/products?category=widgets&featured=true",
        "/products?category=misc", "/products?featured=false",
    ]

    public init(writeRatio: Double, products: Int = 8) {
        self.writeRatio = writeRatio
        listings = Self.listingQueries
        listingWeights = ZipfTable(count: listings.count, exponent: 1.1)
        productWeights = ZipfTable(count: products, exponent: 1.1)
    }

    /// Draws one request; `unit` values are uniform in 0..<1 (injected so the mix is testable).
    public func next(_ unit: () -> Double) -> Request {
        let roll = unit()
        if roll < writeRatio { return unit() < 0.5 ? .create : .delete }
        let share = (roll - writeRatio) / max(1e-9, 1 - writeRatio)
        switch share {
        case ..<0.55: return .get(listings[listingWeights.sample(unit())])
        case ..<0.95: return .get("/products/\(productWeights.sample(unit()) + 1)")
        default: return .get("/categories")
        }
    }
}

/// Cumulative weights 1/k^s, sampled by binary search.
struct ZipfTable: Sendable {
    private let cumulative: [Double]

    init(count: Int, exponent: Double) {
        var running = 0.0
        cumulative = (1...max(1, count)).map { k in
            running += 1 / pow(Double(k), exponent)
            return running
        }
    }

    /// Index in 0..<count for a uniform `unit` in 0..<1; low indexes are the most likely.
    func sample(_ unit: Double) -> Int {
        let target = unit * (cumulative.last ?? 1)
        var low = 0, high = cumulative.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] <= target { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
