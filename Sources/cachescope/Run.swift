import ArgumentParser
import CacheServer
import DashboardRuntime
import Dispatch
import Foundation
import Logging

/// `cachescope` / `cachescope run`: the server on background threads and the dashboard in front.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the product API and the live dashboard in this terminal (default).")

    @OptionGroup var options: ServerOptions

    @Option(name: .customLong("log-file"), help: "Where the server logs go while the dashboard has the screen.")
    var logFile = "./cachescope.log"

    func run() async throws {
        if let problem = DashboardSession.terminalProblem() {
            throw UsageError(message: "\(problem). The dashboard needs an interactive terminal; run `cachescope serve` for the headless server.")
        }
        try FileLogHandler.bootstrap(path: logFile, level: .info)
        let logger = Logger(label: "cachescope")
        let redis = try await RedisChoice.resolve(flag: options.redis, logger: logger)
        try await redis.whileRunning {
            let host = try ServerHost(configuration: options.configuration(redis: redis.endpoint), logger: logger)
            let server = try await host.start(signals: [])
            logger.info("serving", metadata: ["address": "http://\(options.host):\(server.port)", "redis": "\(redis.endpoint)"])

            let session = DashboardSession(
                options: DashboardOptions(redis: redis.endpoint, mode: redis.mode, prefixes: ["shop"], eventsKey: options.eventsKey,
                                          serverURL: "http://127.0.0.1:\(server.port)", adminToken: options.adminToken))
            let signals = stopOnSignals { session.requestStop() }
            await session.run()
            signals.forEach { $0.cancel() }
            await server.group.triggerGracefulShutdown()
            _ = try? await server.task.value
            host.server.shutdown()
        }
        logger.info("stopped")
    }
}

/// SIGINT, SIGTERM and SIGHUP (its terminal closed) end the dashboard cleanly, so the server drains
/// and an embedded redis-server is stopped too. Inside the dashboard, Ctrl-C is a key.
func stopOnSignals(_ stop: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
    [SIGINT, SIGTERM, SIGHUP].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler(handler: stop)
        source.resume()
        return source
    }
}
