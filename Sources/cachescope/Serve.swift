import ArgumentParser
import CacheScopeKit
import Logging

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
        try await CacheServer.serve(redis: try options.redisFlags.given(), logger: logger) { redis in
            try options.server(redis: redis.endpoint, logger: logger)
        } whileServing: { running, _, _ in
            try await running.wait()
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
