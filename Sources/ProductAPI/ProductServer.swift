import CacheScopeKit
import Foundation
import Hummingbird
import Logging

/// Everything `cachescope serve` can be told: the cache layer's settings and the store's.
public struct ServerConfiguration: Sendable {
    public var cache = CacheConfiguration()
    public var databasePath = "./cachescope.db"
    /// Extra latency of every store read, like a slow database.
    public var originDelay: Duration = .milliseconds(200)
    /// How every route's entries live besides their TTL: no jitter, 404s cached for 10 s, 60 s of
    /// grace, no early refresh.
    public var routeOptions = CachedRoute.Options(jitter: 0, negativeTTL: .seconds(10), grace: .seconds(60))
    /// TTLs by route pattern that replace the declared ones.
    public var ttls: [String: Duration] = [:]
    /// Adds `GET /bench/static`, the no-Redis floor `make bench` compares the hit path to.
    public var benchmarkRoute = false

    public init() {}
}

/// The product catalogue API on CacheScopeKit: the store, the cached routes, and the writes.
public struct ProductServer: Sendable {
    public let configuration: ServerConfiguration
    public let store: ProductStore
    public let catalog: Catalog
    public let cache: CacheScope

    /// A setting it cannot use (`--db`, `--warm`) is a `ConfigurationError` naming its flag.
    public init(configuration: ServerConfiguration, logger: Logger) throws {
        self.configuration = configuration
        do {
            store = try ProductStore(path: configuration.databasePath, originDelay: configuration.originDelay)
        } catch {
            throw ConfigurationError(flag: "--db", problem: "cannot open '\(configuration.databasePath)': \(error)")
        }
        catalog = try Catalog(store: store, options: configuration.routeOptions)
            .withTTLs(configuration.ttls)
        cache = try CacheScope(configuration: configuration.cache, routes: catalog.routes, logger: logger)
    }

    /// The router: the cached reads, the writes, the cache endpoints, and the benchmark floor if asked for.
    public func makeRouter() -> Router<BasicRequestContext> {
        cache.makeRouter { router in
            addWriteRoutes(to: router)
            addDebugRoute(to: router)
            if configuration.benchmarkRoute { addBenchmarkRoute(to: router) }
        }
    }

    /// The server to start (`CacheServer.start`).
    public func makeServer(logger: Logger) -> CacheServer {
        CacheServer(cache: cache, router: makeRouter(), logger: logger)
    }

    /// A body the size of the cached listing, with no Redis call: the floor for `make bench`.
    private func addBenchmarkRoute(to router: Router<BasicRequestContext>) {
        let listing = OriginResponse.json(ProductList(products: ProductStore.seed, count: ProductStore.seed.count))
        router.get("/bench/static") { _, _ in Response.json(listing) }
    }
}
