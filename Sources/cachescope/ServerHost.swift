import CacheServer
import Logging
import ServiceLifecycle

/// Runs the server's services in one ServiceGroup (ordered by `CacheScopeServer.services`: on
/// shutdown the announcement goes first, the HTTP server drains, the publisher flushes last).
struct ServerHost {
    let server: CacheScopeServer
    let configuration: ServerConfiguration
    let logger: Logger

    /// A setting the server cannot use (`--db`, `--warm`) is a usage error naming its flag.
    init(configuration: ServerConfiguration, logger: Logger) throws {
        CacheMetrics.bootstrap()
        do {
            server = try CacheScopeServer(configuration: configuration, logger: logger)
        } catch let error as ConfigurationError {
            throw UsageError(message: error.description)
        }
        self.configuration = configuration
        self.logger = logger
    }

    /// A running server: the port it listens on, and its group (to stop it) and task (to await it).
    struct Running {
        let port: Int
        let group: ServiceGroup
        let task: Task<Void, any Error>
    }

    /// Starts the services and returns once the server listens; nil if a stop signal came first.
    /// If the group ends before listening otherwise, the address could not be bound: the error
    /// names `--host` and `--port`.
    func start(stoppingOn signals: StopSignals) async throws -> Running? {
        let (ports, portSink) = AsyncStream<Int>.makeStream()
        let app = server.makeApplication { port in portSink.yield(port) }
        var groupConfiguration = ServiceGroupConfiguration(
            services: server.services(around: app).map { .init(service: $0) },
            logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(4)
        let group = ServiceGroup(configuration: groupConfiguration)
        let task = Task {
            defer { portSink.finish() }
            try await group.run()
        }
        signals.onStop { Task { await group.triggerGracefulShutdown() } }
        for await port in ports { return Running(port: port, group: group, task: task) }
        do {
            try await task.value
        } catch {
            throw UsageError(message: "cannot listen on --host \(configuration.host) --port \(configuration.port): \(error)")
        }
        if signals.requested { return nil }
        throw UsageError(message: "cannot listen on --host \(configuration.host) --port \(configuration.port)")
    }
}

extension ServerHost {
    /// The life of a server, the same for `serve` and `run`: stop signals are caught first, Redis
    /// is chosen (an embedded one is stopped however this ends), the server starts, `whileServing`
    /// runs with it (a signal during start-up skips it), and everything stops.
    static func serve(_ options: ServerOptions, logger: Logger,
                      whileServing: (Running, RedisChoice, StopSignals) async throws -> Void) async throws {
        let signals = StopSignals()
        let redis = try await RedisChoice.resolve(flag: options.redis, logger: logger)
        try await redis.whileRunning {
            guard !signals.requested else { return }
            let host = try ServerHost(configuration: options.configuration(redis: redis.endpoint), logger: logger)
            if let server = try await host.start(stoppingOn: signals) {
                logger.info("serving", metadata: ["address": "http://\(options.host):\(server.port)", "redis": "\(redis.endpoint)",
                                                  "redis_mode": "\(redis.mode)"])
                try await whileServing(server, redis, signals)
            }
            host.server.shutdown()
        }
        withExtendedLifetime(signals) {}  // caught until the very end
        logger.info("stopped")
    }
}
