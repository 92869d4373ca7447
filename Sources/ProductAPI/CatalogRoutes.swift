import CacheCore
import CacheScopeKit

/// The product catalogue's cacheable routes, each declared once: everything else (keys, router
/// entries, 405 lists, warm targets, announcements) is derived from these.
public struct Catalog: Sendable {
    /// The key prefix of every catalogue entry.
    public static let prefix = "shop"

    /// `GET /products[?featured=true|false][&category=C]`.
    public private(set) var listings: CachedRoute
    /// `GET /products/{id}`.
    public private(set) var product: CachedRoute
    /// `GET /categories`.
    public private(set) var categories: CachedRoute

    public var routes: [CachedRoute] { [listings, product, categories] }

    /// `options`: jitter, how long a 404 (a product that does not exist) is answered from the cache,
    /// and how long a listing or product may be served `STALE` past its TTL.
    public init(store: any ProductStore, options: CachedRoute.Options = CachedRoute.Options()) {
        listings = CachedRoute(
            "/products", prefix: Self.prefix, ttl: .seconds(120), options: options,
            warm: ["", "featured=true"]
        ) {
            request throws(APIError) in
            let featured: Bool?
            switch try request.single("featured") {
            case nil: featured = nil
            case "true"?: featured = true
            case "false"?: featured = false
            case let other?: throw APIError(400, "featured must be true or false, not '\(other)'")
            }
            let category = try request.single("category")
            return OriginLoad(tags: [Self.listingTag(featured: featured, category: category)]) {
                let products = try await store.products(featured: featured, category: category)
                return .json(ProductList(products: products, count: products.count))
            }
        }
        let productPattern = "/products/{id}"
        product = CachedRoute(productPattern, prefix: Self.prefix, ttl: .seconds(300), options: options) {
            request throws(APIError) in
            let id = try ProductID.parse(request.parameter("id"))
            return OriginLoad(canonicalPath: RoutePattern(productPattern).path(["id": "\(id)"])) {
                guard let product = try await store.product(id: id) else { return ProductID.notFound }
                return .json(product)
            }
        }
        categories = CachedRoute(
            "/categories", prefix: Self.prefix, ttl: .seconds(600), options: options, warm: [""]
        ) { _ in
            OriginLoad { .json(["categories": try await store.categories()]) }
        }
    }

    /// The catalogue with other TTLs for some routes, by pattern (`--ttl /products=2s`); a pattern
    /// that is no route of it is refused, naming the routes there are.
    public func withTTLs(_ ttls: [String: Duration]) throws(ConfigurationError) -> Catalog {
        let patterns = routes.map(\.pattern.description)
        if let unknown = ttls.keys.sorted().first(where: { !patterns.contains($0) }) {
            throw ConfigurationError(
                flag: "--ttl", problem: "'\(unknown)' is no route; the routes are \(patterns.joined(separator: ", "))")
        }
        var catalog = self
        catalog.listings = listings.withTTL(ttls[listings.pattern.description])
        catalog.product = product.withTTL(ttls[product.pattern.description])
        catalog.categories = categories.withTTL(ttls[categories.pattern.description])
        return catalog
    }

    /// The canonical path of product `id`.
    public func path(ofProduct id: Int64) -> String { product.pattern.path(["id": "\(id)"]) }

    /// What creating or deleting a product must invalidate, exactly: the listings that can hold it
    /// (unfiltered, its category, its `featured`, and both), its own entries (for a new id, a cached
    /// 404), and the categories only when their set changed.
    public func invalidations(for write: ProductWrite) -> [Invalidation] {
        let product = write.product
        var invalidations = [self.product.entries(ofPath: path(ofProduct: product.id))]
        for featured in [nil, product.featured] {
            for category in [nil, product.category] {
                invalidations.append(.tag(Self.listingTag(featured: featured, category: category)))
            }
        }
        if write.categoriesChanged { invalidations.append(categories.everyEntry) }
        return invalidations
    }

    /// The tag of a listing by its filters (nil: not filtered by it). A listing's filters decide
    /// which products it holds, whatever other parameters its query has, so a product is in
    /// exactly the listings of the four tags its own category and `featured` make.
    static func listingTag(featured: Bool?, category: String?) -> String {
        let filters = CanonicalQuery(parameters: [
            ("category", category ?? "*"), ("featured", featured.map { String($0) } ?? "*"),
        ])
        return "\(prefix):listing:\(filters)"
    }
}

/// Product ids in paths: positive integers, checked the same way for reads and deletes.
enum ProductID {
    static func parse(_ text: String) throws(APIError) -> Int64 {
        guard let id = Int64(text), id > 0 else { throw APIError(400, "product id must be a positive integer, not '\(text)'") }
        return id
    }

    static let notFoundMessage = "Product not found"
    /// What the origin answers for an id it does not have (never cached).
    static let notFound = OriginResponse.json(["error": notFoundMessage], status: 404)
}

struct ProductList: Encodable {
    let products: [Product]
    let count: Int
}
