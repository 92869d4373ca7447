import ArgumentParser
import CacheCore
import CacheScopeKit
import DashboardRuntime
import Logging
import ProductAPI

/// `cachescope` / `cachescope run`: the server on background threads and the dashboard in front.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the product API and the live dashboard in this terminal (default).")

    @OptionGroup var options: ServerOptions

    @Option(name: .customLong("log-file"), help: "Where the server logs go while the dashboard has the screen.")
    var logFile = "./cachescope.log"

    @OptionGroup var dashboardFlags: DashboardFlags

    func run() async throws {
        if let problem = DashboardSession.terminalProblem() {
            throw UsageError(
                message:
                    "\(problem). The dashboard needs an interactive terminal; run `cachescope serve` for the headless server.")
        }
        let recording = try dashboardFlags.openRecording()
        try FileLogHandler.bootstrap(path: logFile, level: .info)
        let logger = Logger(label: "cachescope")
        try await CacheServer.serve(redis: try options.redisFlags.given(), logger: logger) { redis in
            try options.server(redis: redis.endpoint, logger: logger)
        } whileServing: { running, redis, signals in
            var dashboard = DashboardOptions(
                redis: redis.endpoint, mode: redis.mode, prefixes: [Catalog.prefix], eventsKey: options.eventsKey,
                serverURL: ServerPresence.url(host: options.host, port: running.port, wildcardHost: "127.0.0.1"),
                adminToken: options.adminToken)
            dashboardFlags.apply(to: &dashboard, recording: recording)
            let session = DashboardSession(options: dashboard)
            signals.onStop { session.requestStop() }
            await session.run()
            await running.stop()
        }
    }
}
