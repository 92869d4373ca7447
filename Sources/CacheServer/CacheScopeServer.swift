import CacheCore
import Foundation
import Hummingbird
import Logging
import RedisClient
import ServiceLifecycle

/// The product API with its Redis cache: assembles the store, the cache, the invalidator,
/// the publisher and the HTTP routes, and hands out the services to run.
public final class CacheScopeServer: Sendable {
    public let configuration: ServerConfiguration
    public let catalog: Catalog
    public let cache: ResponseCache
    public let invalidator: Invalidator
    public let recorder: EventRecorder
    let pending = PendingInvalidations()
    /// Request path: GET and the guarded SET, 50 ms timeouts.
    let requestRedis: RedisPipeline
    /// Writes, admin and stats: up to about a second.
    let adminRedis: RedisPipeline
    /// Counters and events, batched.
    let publisherRedis: RedisPipeline
    /// Fence answers for this server's writes and, with the near cache, its invalidations.
    let channel: InvalidationChannel
    let beacon: PresenceBeacon
    let logger: Logger
    let schema = CounterSchema()
    let startedAt = ContinuousClock.now

    public init(configuration: ServerConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let store: ProductStore
        do {
            store = try ProductStore(path: configuration.databasePath, originDelay: configuration.originDelay)
        } catch {
            throw ConfigurationError(flag: "--db", problem: "cannot open '\(configuration.databasePath)': \(error)")
        }
        catalog = Catalog(store: store, prefix: configuration.prefix, jitter: configuration.ttlJitter)
        for target in configuration.warmTargets {
            do throws(APIError) {
                _ = try catalog.resolve(target: target)
            } catch {
                throw ConfigurationError(flag: "--warm", problem: "'\(target)' is not a cacheable request (\(error.message))")
            }
        }
        requestRedis = RedisPipeline(endpoint: configuration.redis, name: "request", options: .init(ioTimeout: configuration.requestTimeout))
        adminRedis = RedisPipeline(endpoint: configuration.redis, name: "admin", options: .background)
        publisherRedis = RedisPipeline(endpoint: configuration.redis, name: "publisher", options: .background)
        recorder = EventRecorder(serverID: configuration.serverID)
        let flights = SingleFlight<Fill>()
        let near = configuration.nearCacheMaxAge.map { NearCache(maxAge: $0) }
        let fence = WriteFence(redis: adminRedis, schema: schema, serverID: configuration.serverID)
        channel = InvalidationChannel(
            near: near, acks: fence.acks, redis: RedisPipeline(endpoint: configuration.redis, name: "invalidations", options: .background),
            publisher: publisherRedis, schema: schema, serverID: configuration.serverID, prefix: configuration.prefix, logger: logger)
        beacon = PresenceBeacon(redis: publisherRedis, schema: schema, serverID: configuration.serverID, near: near,
                                admin: configuration.adminAccess)
        cache = ResponseCache(redis: requestRedis, warmingRedis: adminRedis, schema: schema, recorder: recorder, flights: flights, pending: pending, near: near)
        invalidator = Invalidator(redis: adminRedis, schema: schema, recorder: recorder,
                                  pending: pending, fence: fence, near: near, logger: logger)
        let log = logger
        requestRedis.onStateChange { up in
            if up { log.info("Redis connection up") } else { log.warning("Redis connection lost; serving from the store (X-Cache: BYPASS) and retrying") }
        }
    }

    /// The HTTP application; `onRunning` is told the bound port (useful with port 0).
    public func makeApplication(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        // Metrics outside the error middleware, so they see the 4xx it makes of thrown errors.
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: JSONErrorMiddleware(allowedMethods: Self.allowedMethods))
        addProductRoutes(to: router)
        addCacheRoutes(to: router)
        var app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "cachescope"),
            onServerRunning: { [beacon, host = configuration.host] channel in
                let port = channel.localAddress?.port ?? 0
                beacon.listening(host: host, port: port)
                await onRunning(port)
            },
            logger: logger)
        let warmer = self
        app.beforeServerStarts {
            await warmer.connectRedis()
            if warmer.configuration.warmOnStart { _ = await warmer.warm(warmer.configuration.warmTargets) }
        }
        return app
    }

    /// Every service to run in one `ServiceGroup`, in start order. The group stops them in
    /// reverse: the announcement first (dashboards stop sending work here), then the HTTP server
    /// drains, and the publisher flushes last.
    public func services(around app: any Service) -> [any Service] {
        [EventPublisher(recorder: recorder, redis: publisherRedis, schema: schema, eventsKey: configuration.eventsKey, logger: logger),
         InvalidationReplayer(invalidator: invalidator, pending: pending), channel, app, beacon]
    }

    /// Opens the Redis connections before the first request, so none pays for a connect (a PING
    /// touches no key). If Redis is down the server starts anyway and serves with `BYPASS`.
    func connectRedis() async {
        await withTaskGroup(of: Void.self) { group in
            for connection in [requestRedis, adminRedis, publisherRedis] {
                group.addTask { _ = try? await connection.send(RedisCommand("PING")) }
            }
        }
    }

    /// Closes the Redis connections (after the services have finished).
    public func shutdown() {
        for connection in [requestRedis, adminRedis, publisherRedis, channel.redis] { connection.stop() }
    }

    /// Fills the given `path?query` targets through the request path; returns the keys stored.
    public func warm(_ targets: [String]) async -> [String] {
        await withTaskGroup(of: String?.self) { group in
            for target in targets {
                group.addTask {
                    do {
                        let request = try self.catalog.resolve(target: target)
                        let result = try await self.cache.warm(request)
                        self.logger.info("warm-up", metadata: ["target": "\(target)", "key": "\(request.key)", "result": "\(result)"])
                        if case .stored = result { return request.key.description }
                    } catch {
                        self.logger.warning("warm-up failed", metadata: ["target": "\(target)", "error": "\(error)"])
                    }
                    return nil
                }
            }
            return await group.reduce(into: []) { if let key = $1 { $0.append(key) } }.sorted()
        }
    }

    static func allowedMethods(_ path: String) -> [HTTPRequest.Method] {
        switch path {
        case "/products": [.get, .post]
        case "/categories", "/cache/stats", "/health", "/metrics", "/bench/static": [.get]
        case "/cache/invalidate", "/cache/warm": [.post]
        default:
            path.hasPrefix("/products/") && path.dropFirst(10).allSatisfy({ $0 != "/" }) ? [.get, .delete] : []
        }
    }
}
