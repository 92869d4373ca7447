import CacheCore
import CacheProtocol
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import RedisClient
import ServiceLifecycle

/// The cache layer of one server, for the routes it was declared with: serves them
/// cache-aside from Redis, invalidates on the app's behalf, warms, and reports what it does.
///
/// An app makes one, puts it on its router (`makeRouter`), and runs its `services`
/// (`CacheServer` does both). Writes stay the app's: after changing its store it calls
/// `invalidate`, which returns once no server can serve what the write changed.
public final class CacheScope: Sendable {
    public let configuration: CacheConfiguration
    public let routes: RouteTable
    public let recorder: EventRecorder
    public let responses: ResponseCache
    public let invalidator: Invalidator
    /// What start-up and `POST /cache/warm` fill: the configured targets, else the routes' own.
    public let warmTargets: [String]
    let connections: CacheConnections
    let channel: InvalidationChannel
    let beacon: PresenceBeacon
    /// Answers near-cache hits before Hummingbird does; nil without a near cache.
    let fastPath: FastPath?
    let logger: Logger
    let schema = KeySchema()

    /// Throws `ConfigurationError` naming `--warm` for a warm target that is no declared route.
    public init(configuration: CacheConfiguration, routes: [CachedRoute], logger: Logger) throws {
        CacheMetrics.bootstrap()  // before any counter is made, or it counts nowhere
        self.configuration = configuration
        self.routes = RouteTable(routes)
        self.logger = logger
        warmTargets = configuration.warmTargets ?? self.routes.warmTargets
        for target in warmTargets {
            do throws(APIError) {
                _ = try self.routes.resolve(target: target)
            } catch {
                throw ConfigurationError(flag: "--warm", problem: "'\(target)' is not a cacheable request (\(error.message))")
            }
        }
        let connections = CacheConnections(configuration)
        self.connections = connections
        recorder = EventRecorder(serverID: configuration.serverID)
        let pending = PendingInvalidations()
        let near = configuration.nearCacheMaxAge.map { [serverName = configuration.serverName] maxAge in
            NearCache(maxAge: maxAge) { stored in
                let entry = CacheEntry.decode(stored)
                guard entry.status == 200 else { return nil }
                let response = Self.cachedOK(entry.body, tag: EntityTag(of: entry.body), status: .hit)
                return EncodedHit(response, body: entry.body, serverName: serverName)
            }
        }
        let memory = RedisMemoryAlarm(logger: logger)
        let fence = WriteFence(redis: connections.admin, schema: schema, serverID: configuration.serverID)
        channel = InvalidationChannel(
            near: near, acks: fence.acks, redis: connections.invalidations, publisher: connections.publisher, schema: schema,
            serverID: configuration.serverID, prefixes: self.routes.prefixes, logger: logger)
        beacon = PresenceBeacon(
            announcements: Announcements(schema: schema), redis: connections.publisher, serverID: configuration.serverID,
            near: near, admin: configuration.adminAccess, routes: routes.map(\.announcement))
        responses = ResponseCache(
            redis: connections.request, warmingRedis: connections.admin, fill: GuardedFill(schema: schema), recorder: recorder,
            pending: pending, near: near, originTimeout: configuration.originTimeout, memory: memory,
            origin: OriginHealth(logger: logger))
        fastPath = near.map { [routes = self.routes, recorder] in
            FastPath(routes: routes, near: $0, pending: pending, recorder: recorder)
        }
        invalidator = Invalidator(
            redis: connections.admin, schema: schema, recorder: recorder, pending: pending, fence: fence, near: near,
            memory: memory, logger: logger)
        if case .sentinel(let group) = configuration.redis.address {
            SentinelLocator.shared(for: group).onMasterChange { [weak self] old, new in
                self?.failedOver(from: old, to: new)
            }
        }
        connections.request.onStateChange { [logger, request = connections.request] up in
            if up {
                logger.info("Redis connection up", metadata: ["address": "\(request.connectedAddress ?? "?")"])
            } else {
                logger.warning(
                    "Redis connection lost; serving from the origin (X-Cache: BYPASS) and retrying",
                    metadata: ["error": "\(request.lastError ?? "closed")"])
            }
        }
    }

    /// Whether the app's store answers: loads report here, and an app reports its writes.
    public var origin: OriginHealth { responses.origin }

    /// Sentinel named a new master: every connection moves to it, the near cache forgets everything
    /// (its tracking was on the old master), and the new master is treated as possibly missing the
    /// last writes (`Invalidator.redoAfterFailover`). Pending invalidations are replayed with them.
    private func failedOver(from old: SentinelLocator.Master?, to new: SentinelLocator.Master) {
        logger.warning(
            "Redis failover: moving to the new master",
            metadata: ["old": "\(old.map { "\($0.host):\($0.port)" } ?? "?")", "new": "\(new.host):\(new.port)"])
        near?.flush()
        connections.reconnectAll()
        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        Task { await invalidator.redoAfterFailover(nowMs: nowMs) }
    }

    /// The near cache, when `nearCacheMaxAge` is set.
    public var near: NearCache? { responses.near }

    /// Answers `request` on `route` from the cache, else from the origin.
    public func respond(to request: Request, on route: CachedRoute) async throws -> Response {
        guard let cacheable = try routes.resolve(route, path: request.uri.path, query: request.uri.query ?? "") else {
            throw APIError(404, "Not found")
        }
        let answer = try await responses.fetch(cacheable)
        let response = answer.response
        guard response.status == 200 else {
            return jsonResponse(status: response.status, body: response.body, cache: answer.status)
        }
        // Conditional GET: the tag is the body's hash, the same from Redis, the near cache or the origin.
        let tag = EntityTag(of: response.body)
        var headers: HTTPFields = [.eTag: tag.description, .xCache: answer.status.rawValue]
        if let age = answer.ageSeconds { headers[.age] = String(age) }
        if let condition = request.headers[.ifNoneMatch], tag.isMatched(byIfNoneMatch: condition) {
            return Response(status: .notModified, headers: headers)
        }
        return Self.cachedOK(response.body, tag: tag, status: answer.status, ageSeconds: answer.ageSeconds)
    }

    /// A cacheable 200 as every path sends it (the fast path encodes the same): JSON, its
    /// `ETag`, how it was produced, and for a `STALE` one its `Age`.
    static func cachedOK(_ body: [UInt8], tag: EntityTag, status: CacheStatus, ageSeconds: Int? = nil) -> Response {
        var response = jsonResponse(status: 200, body: body)
        response.headers[.eTag] = tag.description
        response.headers[.xCache] = status.rawValue
        if let ageSeconds { response.headers[.age] = String(ageSeconds) }
        return response
    }

    /// Deletes the entries named (generations first, never KEYS) and returns once no near cache
    /// can serve them; the number of keys deleted, or nil if Redis could not be reached in time
    /// (the invalidation then stays pending and the cache is bypassed until it is carried out).
    @discardableResult
    public func invalidate(_ invalidations: [Invalidation], reason: String) async -> Int? {
        await invalidator.invalidate(invalidations.map(\.target), reason: reason)
    }

    /// Fills the given `path?query` targets through the request path; returns the keys stored.
    public func warm(_ targets: [String]) async -> [String] {
        await withTaskGroup(of: String?.self) { group in
            for target in targets {
                group.addTask {
                    do {
                        let request = try self.routes.resolve(target: target)
                        let result = try await self.responses.warm(request)
                        self.logger.info(
                            "warm-up", metadata: ["target": "\(target)", "key": "\(request.key)", "result": "\(result)"])
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

    /// A router with the cached routes, the app's own (`addRoutes`), and the cache endpoints
    /// (`/cache/*`, `/health`, `/metrics`), behind metrics and JSON errors whose 405 `Allow`
    /// lists come from the routes registered here.
    public func makeRouter(_ addRoutes: (Router<BasicRequestContext>) -> Void = { _ in }) -> Router<BasicRequestContext> {
        let router = Router()
        let methods = MethodTable()
        // Metrics outside the error middleware, so they see the 4xx it makes of thrown errors.
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: JSONErrorMiddleware(methods: methods))
        addCachedRoutes(to: router)
        addRoutes(router)
        addCacheEndpoints(to: router)
        methods.load(router.routes.map { (RoutePattern($0.path.description), $0.method) })
        return router
    }

    /// Adds a GET handler for each declared route to a router of the app's own (`makeRouter` adds
    /// them itself). Errors it throws are `APIError`s: put a middleware that answers them in front.
    public func addCachedRoutes<Context: RequestContext>(to router: Router<Context>) {
        for route in routes.routes {
            router.get(RouterPath(route.pattern.description)) { request, _ in try await self.respond(to: request, on: route) }
        }
    }

    /// The HTTP application around `router`: Redis connected and warm targets filled before
    /// it listens, the announcement started once it does. `onRunning` is told the bound port.
    /// `beforeServing` runs first (the app's own set-up, such as a schema migration).
    public func makeApplication(
        router: Router<BasicRequestContext>,
        beforeServing: @escaping @Sendable () async throws -> Void = {},
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let server: HTTPServerBuilder =
            if let fastPath {
                HTTPServerBuilder { responder in FastPathChannel(inner: HTTP1Channel(responder: responder), fastPath: fastPath) }
            } else {
                .http1()
            }
        var app = Application(
            router: router,
            server: server,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: configuration.serverName),
            onServerRunning: { [beacon, host = configuration.host] channel in
                let port = channel.localAddress?.port ?? 0
                beacon.listening(host: host, port: port)
                await onRunning(port)
            },
            logger: logger)
        app.beforeServerStarts {
            try await beforeServing()
            await self.connections.connect()
            if self.configuration.warmOnStart { _ = await self.warm(self.warmTargets) }
        }
        return app
    }

    /// Every service to run in one `ServiceGroup`, in start order. The group stops them in
    /// reverse: the announcement first (dashboards stop sending work here), then the HTTP server
    /// drains, and the publisher flushes last.
    public func services(around app: any Service) -> [any Service] {
        [
            EventPublisher(
                recorder: recorder, redis: connections.publisher, schema: schema,
                stream: EventStream(key: configuration.eventsKey), logger: logger),
            InvalidationReplayer(invalidator: invalidator),
            InFlightPublisher(
                flights: responses.flights, redis: connections.publisher, loads: InFlightLoads(schema: schema),
                serverID: configuration.serverID),
            channel, app, beacon,
        ]
    }

    /// Closes the Redis connections (after the services have finished).
    public func shutdown() { connections.stop() }
}
