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

    @Flag(
        name: .customLong("readonly"),
        help: "The dashboard changes nothing: invalidate, warm, load and the origin switch only say read-only.")
    var readOnly = false

    @Option(help: "Record the dashboard session to FILE (NDJSON), for cachescope replay.")
    var record: String?

    @Flag(
        name: .customLong("no-mouse"), help: "Leave the mouse to the terminal (by default a click selects and the wheel scrolls)."
    )
    var noMouse = false

    func run() async throws {
        if let problem = DashboardSession.terminalProblem() {
            throw UsageError(
                message:
                    "\(problem). The dashboard needs an interactive terminal; run `cachescope serve` for the headless server.")
        }
        let recording = try openRecording(record)
        try FileLogHandler.bootstrap(path: logFile, level: .info)
        let logger = Logger(label: "cachescope")
        try await CacheServer.serve(redisFlag: options.redis, logger: logger) { redis in
            try options.server(redis: redis.endpoint, logger: logger)
        } whileServing: { running, redis, signals in
            var dashboard = DashboardOptions(
                redis: redis.endpoint, mode: redis.mode, prefixes: [Catalog.prefix], eventsKey: options.eventsKey,
                serverURL: ServerPresence.url(host: options.host, port: running.port, wildcardHost: "127.0.0.1"),
                adminToken: options.adminToken)
            dashboard.readOnly = readOnly
            dashboard.mouse = !noMouse
            dashboard.recording = recording
            let session = DashboardSession(options: dashboard)
            signals.onStop { session.requestStop() }
            await session.run()
            await running.stop()
        }
    }
}
