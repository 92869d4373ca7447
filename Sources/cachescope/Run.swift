import ArgumentParser
import CacheCore
import DashboardRuntime
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
        try await ServerHost.serve(options, logger: Logger(label: "cachescope")) { server, redis, signals in
            let session = DashboardSession(
                options: DashboardOptions(redis: redis.endpoint, mode: redis.mode, prefixes: ["shop"], eventsKey: options.eventsKey,
                                          serverURL: ServerPresence.url(host: options.host, port: server.port, wildcardHost: "127.0.0.1"),
                                          adminToken: options.adminToken))
            signals.onStop { session.requestStop() }
            await session.run()
            await server.group.triggerGracefulShutdown()
            _ = try? await server.task.value
        }
    }
}
