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
        let host = try ServerHost(configuration: options.configuration(redis: redis.endpoint), logger: logger)
        let (ports, portSink) = AsyncStream<Int>.makeStream()
        let group = host.makeGroup(signals: []) { port in portSink.yield(port) }
        let serving = Task { try await group.run() }
        var port = 0
        for await bound in ports { port = bound; break }
        logger.info("serving", metadata: ["address": "http://\(options.host):\(port)", "redis": "\(redis.endpoint)"])

        let session = DashboardSession(
            options: DashboardOptions(redis: redis.endpoint, mode: redis.mode, prefixes: ["shop"], eventsKey: options.eventsKey,
                                      serverURL: "http://127.0.0.1:\(port)", adminToken: options.adminToken))
        let signals = stopOnSignals { session.requestStop() }
        await session.run()
        signals.forEach { $0.cancel() }
        await group.triggerGracefulShutdown()
        _ = try? await serving.value
        host.server.shutdown()
        await redis.embedded?.stop()
        logger.info("stopped")
    }
}

/// SIGINT and SIGTERM from outside end the dashboard cleanly (inside it, Ctrl-C is a key).
func stopOnSignals(_ stop: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
    [SIGINT, SIGTERM].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler(handler: stop)
        source.resume()
        return source
    }
}
