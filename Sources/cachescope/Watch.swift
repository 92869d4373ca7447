import ArgumentParser
import CacheProtocol
import CacheScopeKit
import DashboardRuntime
import Foundation
import Logging
import ProductAPI
import RedisClient

/// `cachescope watch`: the dashboard attached to headless servers that share a Redis.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Attach the dashboard to servers that share a Redis.")

    @OptionGroup var redisFlags: RedisFlags

    @Option(
        help: "A server's base URL for re-warming and demo load (default: the longest-running server announcing itself in Redis)."
    )
    var server: String?

    @Option(help: "Cache key prefix to watch (repeatable).")
    var prefix: [String] = [Catalog.prefix]

    @Option(name: .customLong("events-key"), help: "Redis stream the servers publish events to.")
    var eventsKey = KeySchema().events

    @Option(name: .customLong("admin-token"), help: "Bearer token the servers' admin endpoints require.")
    var adminToken: String?

    @OptionGroup var dashboardFlags: DashboardFlags

    @Option(name: .customLong("log-file"), help: "Where the dashboard logs.")
    var logFile = "./cachescope-watch.log"

    func validate() throws {
        if let server, !(server.hasPrefix("http://") || server.hasPrefix("https://")) || URL(string: server) == nil {
            throw ValidationError("--server must be an http:// URL like http://127.0.0.1:8000, not '\(server)'")
        }
        guard !prefix.isEmpty, prefix.allSatisfy({ !$0.isEmpty }) else { throw ValidationError("--prefix must not be empty") }
    }

    func run() async throws {
        if let problem = DashboardSession.terminalProblem() {
            throw UsageError(
                message:
                    "\(problem). The dashboard needs an interactive terminal; run `cachescope serve` for the headless server.")
        }
        let endpoint = try await redisFlags.shared().verified(logger: Logger(label: "cachescope"))
        try FileLogHandler.bootstrap(path: logFile, level: .info)
        var options = DashboardOptions(
            redis: endpoint, mode: "attached", prefixes: prefix, eventsKey: eventsKey,
            serverURL: server.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }, adminToken: adminToken)
        dashboardFlags.apply(to: &options, recording: try dashboardFlags.openRecording())
        let session = DashboardSession(options: options)
        let signals = StopSignals()
        signals.onStop { session.requestStop() }
        await session.run()
        withExtendedLifetime(signals) {}  // caught until the very end
    }
}
