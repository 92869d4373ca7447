import Hummingbird
import Logging
import RedisClient
import ServiceLifecycle

/// The life of a server built on `CacheScope`: its services and the HTTP application in one
/// `ServiceGroup` (ordered by `CacheScope.services`: on shutdown the announcement goes first,
/// the HTTP server drains, the publisher flushes last), started, told its port, and stopped.
/// The same for `cachescope serve`, `run`, the example app and the tests.
public struct CacheServer {
    public let cache: CacheScope
    private let router: Router<BasicRequestContext>
    private let logger: Logger
    private let appServices: [any Service]
    private let prepare: @Sendable () async throws -> Void

    /// `services`: the app's own (a database pool), started first and stopped last. `prepare` runs
    /// once they run and before the server listens (a schema migration); what it throws ends the
    /// start, and a `ConfigurationError` is passed on as it is.
    public init(
        cache: CacheScope, router: Router<BasicRequestContext>, logger: Logger, services: [any Service] = [],
        prepare: @escaping @Sendable () async throws -> Void = {}
    ) {
        self.cache = cache
        self.router = router
        self.logger = logger
        self.appServices = services
        self.prepare = prepare
    }

    /// A running server: the port it listens on, and how to stop it or await its end.
    public struct Running: Sendable {
        public let port: Int
        let group: ServiceGroup
        let task: Task<Void, any Error>

        /// Graceful shutdown, as on SIGTERM: drains, flushes the publisher.
        public func stop() async {
            await group.triggerGracefulShutdown()
            _ = try? await task.value
        }

        /// Until the group ends (after `stop`, or a stop signal).
        public func wait() async throws { try await task.value }
    }

    /// Starts the services and returns once the server listens; nil if a stop signal came first.
    /// If the group ends before listening otherwise, the address could not be bound: the error
    /// names `--host` and `--port`.
    public func start(stoppingOn signals: StopSignals? = nil) async throws -> Running? {
        let (ports, portSink) = AsyncStream<Int>.makeStream()
        let app = cache.makeApplication(router: router, beforeServing: prepare) { port in portSink.yield(port) }
        var groupConfiguration = ServiceGroupConfiguration(
            services: (appServices + cache.services(around: app)).map { .init(service: $0) }, logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(4)
        let group = ServiceGroup(configuration: groupConfiguration)
        let task = Task {
            defer { portSink.finish() }
            try await group.run()
        }
        signals?.onStop { Task { await group.triggerGracefulShutdown() } }
        for await port in ports { return Running(port: port, group: group, task: task) }
        let address = "--host \(cache.configuration.host) --port \(cache.configuration.port)"
        do {
            try await task.value
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError(flag: address, problem: "cannot listen: \(error)")
        }
        if signals?.requested == true { return nil }
        throw ConfigurationError(flag: address, problem: "cannot listen")
    }

    /// The life of a server under a command: stop signals are caught first, Redis is chosen (an
    /// embedded one is stopped however this ends), the server is made and started, `whileServing`
    /// runs with it (a signal during start-up skips it), and everything stops.
    public static func serve(
        redisFlag: String?, logger: Logger,
        make: (RedisChoice) throws -> CacheServer,
        whileServing: (Running, RedisChoice, StopSignals) async throws -> Void
    ) async throws {
        try await serve(redis: RedisChoice.endpoint(flag: redisFlag), logger: logger, make: make, whileServing: whileServing)
    }

    /// The same, for an endpoint already parsed (with TLS settings); nil: a local or embedded Redis.
    public static func serve(
        redis endpoint: RedisEndpoint?, logger: Logger,
        make: (RedisChoice) throws -> CacheServer,
        whileServing: (Running, RedisChoice, StopSignals) async throws -> Void
    ) async throws {
        let signals = StopSignals()
        let redis = try await RedisChoice.resolve(endpoint: endpoint, logger: logger)
        try await redis.whileRunning {
            guard !signals.requested else { return }
            let server = try make(redis)
            if let running = try await server.start(stoppingOn: signals) {
                logger.info(
                    "serving",
                    metadata: [
                        "address": "http://\(server.cache.configuration.host):\(running.port)", "redis": "\(redis.endpoint)",
                        "redis_mode": "\(redis.mode)",
                    ])
                try await whileServing(running, redis, signals)
            }
            server.cache.shutdown()
        }
        withExtendedLifetime(signals) {}  // caught until the very end
        logger.info("stopped")
    }
}
