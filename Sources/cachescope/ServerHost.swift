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

    /// The server's services in one group that stops gracefully on `signals` (or when triggered).
    func makeGroup(signals: [UnixSignal], onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> ServiceGroup {
        let app = server.makeApplication(onRunning: onRunning)
        var configuration = ServiceGroupConfiguration(
            services: (server.backgroundServices + [app]).map { .init(service: $0) },
            gracefulShutdownSignals: signals,
            logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(4)
        return ServiceGroup(configuration: configuration)
    }
}
