import CacheCore
import Foundation

/// A body produced by the origin, with its HTTP status. Only 200s are cached.
public struct OriginResponse: Sendable, Equatable {
    public let status: Int
    public let body: [UInt8]

    /// Sorted keys: the same value always makes the same bytes.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func json(_ value: some Encodable, status: Int = 200) -> OriginResponse {
        OriginResponse(status: status, body: Array((try? encoder.encode(value)) ?? Data("{}".utf8)))
    }
}

/// One cacheable GET, resolved: its policy, its key, and how to load it from the store.
public struct CacheableRequest: Sendable {
    public let policy: CachePolicy
    public let key: CacheKey
    public let load: @Sendable () async throws -> OriginResponse
}

/// An error answered to the client as `{"error": message}`.
public struct APIError: Error, Equatable, Sendable {
    public let status: Int
    public let message: String

    public init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }
}

/// The cacheable routes of the product API and how each is loaded. The HTTP handlers and
/// the warmer both go through `resolve`, so there is one copy of the key logic.
public struct Catalog: Sendable {
    public static let listingsRoute = "/products"
    public static let productRoute = "/products/{id}"
    public static let categoriesRoute = "/categories"

    public let store: ProductStore
    public let policies: [String: CachePolicy]

    public init(store: ProductStore, prefix: String = "shop", jitter: Double = 0) {
        self.store = store
        self.policies = [
            Self.listingsRoute: CachePolicy(route: Self.listingsRoute, prefix: prefix, ttl: .seconds(120), jitter: jitter),
            Self.productRoute: CachePolicy(route: Self.productRoute, prefix: prefix, ttl: .seconds(300), jitter: jitter),
            Self.categoriesRoute: CachePolicy(route: Self.categoriesRoute, prefix: prefix, ttl: .seconds(600), jitter: jitter),
        ]
    }

    public var prefix: String { policies[Self.listingsRoute]!.prefix }

    /// Resolves `path` + raw `query` to a cacheable request, or says why it is not one.
    /// The request a `path?query` target (a warm target, a recorded request) stands for.
    public func resolve(target: String) throws(APIError) -> CacheableRequest {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return try resolve(path: String(parts.first ?? ""), query: parts.count > 1 ? String(parts[1]) : "")
    }

    public func resolve(path: String, query: String) throws(APIError) -> CacheableRequest {
        let canonical = CanonicalQuery(query)
        let store = self.store
        switch path {
        case "/products":
            let featured: Bool?
            switch try Self.single("featured", in: canonical) {
            case nil: featured = nil
            case "true"?: featured = true
            case "false"?: featured = false
            case let other?: throw APIError(400, "featured must be true or false, not '\(other)'")
            }
            let category = try Self.single("category", in: canonical)
            return request(Self.listingsRoute, path, canonical) {
                let products = try await store.products(featured: featured, category: category)
                return .json(ProductList(products: products, count: products.count))
            }
        case "/categories":
            return request(Self.categoriesRoute, path, canonical) {
                .json(["categories": try await store.categories()])
            }
        default:
            guard path.hasPrefix("/products/") else { throw APIError(404, "Not found") }
            let idText = path.dropFirst("/products/".count)
            guard let id = Int64(idText), id > 0, !idText.contains("/") else {
                throw APIError(400, "product id must be a positive integer, not '\(idText)'")
            }
            return request(Self.productRoute, "/products/\(id)", canonical) {
                guard let product = try await store.product(id: id) else {
                    return .json(["error": "Product not found"], status: 404)
                }
                return .json(product)
            }
        }
    }

    /// A filter's value; given twice it would be ambiguous (which one wins?), so that is a 400.
    private static func single(_ name: String, in query: CanonicalQuery) throws(APIError) -> String? {
        let values = query.values(name)
        guard values.count <= 1 else { throw APIError(400, "give '\(name)' once, not \(values.count) times") }
        return values.first
    }

    private func request(_ route: String, _ path: String, _ query: CanonicalQuery,
                         load: @escaping @Sendable () async throws -> OriginResponse) -> CacheableRequest {
        let policy = policies[route]!
        return CacheableRequest(policy: policy, key: CacheKey(prefix: policy.prefix, path: path, query: query), load: load)
    }

    /// The glob patterns a write must invalidate: every listing, the categories, and the product's own entries.
    public func invalidationPatterns(forProduct id: Int64?) -> [String] {
        var patterns = ["\(Glob.escape("\(prefix):/products")):*", "\(Glob.escape("\(prefix):/categories")):*"]
        if let id { patterns.append("\(Glob.escape("\(prefix):/products/\(id)")):*") }
        return patterns
    }
}

struct ProductList: Encodable {
    let products: [Product]
    let count: Int
}
