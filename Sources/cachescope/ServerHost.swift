import CacheServer
import Logging
import ServiceLifecycle
import UnixSignals

/// Runs the server's services in one ServiceGroup: background services first, so that on
/// shutdown the HTTP server drains first and the publisher flushes last.
struct ServerHost {
    let server: CacheScopeServer
    let logger: Logger

    init(configuration: ServerConfiguration, logger: Logger) throws {
        CacheMetrics.bootstrap()
        server = try CacheScopeServer(configuration: configuration, logger: logger)
        self.logger = logger
    }

    /// Runs until a signal in `signals` arrives or a service ends; `extra` services run alongside.
    func run(alongside extra: [any Service], signals: [UnixSignal], onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = server.makeApplication(onRunning: onRunning)
        var configuration = ServiceGroupConfiguration(
            services: (server.backgroundServices + [app] + extra).map { .init(service: $0) },
            gracefulShutdownSignals: signals,
            logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(4)
        let group = ServiceGroup(configuration: configuration)
        defer { server.shutdown() }
        try await group.run()
    }
}
