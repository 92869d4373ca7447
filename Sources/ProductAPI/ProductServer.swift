import CacheScopeKit
import Foundation
import Hummingbird
import Logging

/// Everything `cachescope serve` can be told: the cache layer's settings and the store's.
public struct ServerConfiguration: Sendable {
    public var cache = CacheConfiguration()
    /// `--db PATH` (SQLite) or `--store postgres://…`.
    public var store = StoreLocation.sqlite(path: "./cachescope.db")
    /// Connections each server keeps at most to PostgreSQL (`--store-pool`).
    public var storePoolSize = 10
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
    public let store: ControlledStore
    public let catalog: Catalog
    public let cache: CacheScope

    /// A setting it cannot use (`--db`, `--warm`) is a `ConfigurationError` naming its flag.
    public init(configuration: ServerConfiguration, logger: Logger) throws {
        self.configuration = configuration
        store = ControlledStore(try Self.open(configuration, logger: logger), readDelay: configuration.originDelay)
        catalog = try Catalog(store: store, options: configuration.routeOptions)
            .withTTLs(configuration.ttls)
        cache = try CacheScope(configuration: configuration.cache, routes: catalog.routes, logger: logger)
    }

    private static func open(_ configuration: ServerConfiguration, logger: Logger) throws(ConfigurationError) -> any ProductStore
    {
        switch configuration.store {
        case .sqlite(let path):
            do {
                return try SQLiteProductStore(path: path)
            } catch {
                throw ConfigurationError(flag: configuration.store.flag, problem: "cannot open '\(path)': \(error)")
            }
        case .postgres(let location):
            do {
                return try PostgresProductStore(location: location, poolSize: configuration.storePoolSize, logger: logger)
            } catch {
                throw ConfigurationError(flag: configuration.store.flag, problem: "cannot use \(location): \(error)")
            }
        }
    }

    /// The router: the cached reads, the writes, the cache endpoints, and the benchmark floor if asked for.
    public func makeRouter() -> Router<BasicRequestContext> {
        cache.makeRouter { router in
            addWriteRoutes(to: router)
            addDebugRoute(to: router)
            if configuration.benchmarkRoute { addBenchmarkRoute(to: router) }
        }
    }

    /// The server to start (`CacheServer.start`), with the store's services; the store's schema is
    /// readied before it listens, and a store it cannot reach or use then is a `ConfigurationError`
    /// naming the store's flag.
    public func makeServer(logger: Logger) -> CacheServer {
        let store = self.store
        let location = configuration.store
        return CacheServer(
            cache: cache, router: makeRouter(), logger: logger,
            services: store.services + [StoreProbe(store: store, health: cache.origin)]
        ) {
            do {
                try await store.prepare()
            } catch {
                throw ConfigurationError(flag: location.flag, problem: "cannot prepare \(location): \(String(reflecting: error))")
            }
        }
    }

    /// A body the size of the cached listing, with no Redis call: the floor for `make bench`.
    private func addBenchmarkRoute(to router: Router<BasicRequestContext>) {
        let listing = OriginResponse.json(ProductList(products: Product.seed, count: Product.seed.count))
        router.get("/bench/static") { _, _ in Response.json(listing) }
    }
}
