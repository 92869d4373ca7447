import ArgumentParser
import CacheServer
import Logging
import ServiceLifecycle

/// `cachescope serve`: the product API alone, logging to stderr.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the product API server headless (logs to stderr).")

    @OptionGroup var options: ServerOptions

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        let logger = Logger(label: "cachescope")
        let signals = StopSignals()
        let redis = try await RedisChoice.resolve(flag: options.redis, logger: logger)
        try await redis.whileRunning {
            guard !signals.requested else { return }
            let host = try ServerHost(configuration: options.configuration(redis: redis.endpoint), logger: logger)
            if let server = try await host.start(stoppingOn: signals) {
                logger.info("serving", metadata: ["address": "http://\(options.host):\(server.port)", "redis": "\(redis.endpoint)", "redis_mode": "\(redis.mode)"])
                try await server.task.value
            }
            host.server.shutdown()
        }
        withExtendedLifetime(signals) {}  // caught until the very end
        logger.info("stopped")
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
