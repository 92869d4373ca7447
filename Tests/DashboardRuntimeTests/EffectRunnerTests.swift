import CacheCore
import Dashboard
import RedisClient
import Synchronization
import TestSupport
import Testing

@testable import DashboardRuntime

@Suite struct EffectRunnerTests {
    /// Without `--server`, a re-warm goes to the longest-running announced server that takes admin
    /// calls; one that does not answer (crashed, still announced) is skipped for the next.
    @Test func warmGoesToTheOldestServerThatAnswers() async throws {
        try await withServer { server, redis in
            let connection = RedisPipeline(endpoint: redis.endpoint, name: "effects", options: .background)
            defer { connection.stop() }
            let reports = Mutex<[String]>([])
            let runner = EffectRunner(redis: connection, eventsKey: "cachescope:events", serverURL: nil, adminToken: nil) {
                input in
                if case .actionFinished(let text) = input { reports.withLock { $0.append(text) } }
            }
            runner.serversAnnounced([
                ServerPresence(id: "refuses", url: "http://127.0.0.1:1", startedMs: 1, admin: .closed),
                ServerPresence(id: "crashed", url: "http://127.0.0.1:\(Binary.freePort())", startedMs: 2),
                ServerPresence(id: "live", url: server.baseURL, startedMs: 3),
            ])
            runner.perform(.warmAll)
            await waitUntil(timeout: .seconds(10)) { !reports.withLock { $0.isEmpty } }
            let report = reports.withLock { $0.first } ?? ""
            #expect(report.hasSuffix("(via \(server.baseURL))"), "\(report)")
            #expect(report.contains("warmed 3 targets"), "the test server starts cold: \(report)")

            runner.serversAnnounced([ServerPresence(id: "refuses", url: server.baseURL, startedMs: 1, admin: .token)])
            runner.perform(.warmAll)  // no token here: nobody to ask
            await waitUntil(timeout: .seconds(10)) { reports.withLock { $0.count >= 2 } }
            #expect(reports.withLock { $0.last }?.hasPrefix("re-warm needs a server") == true)
        }
    }
}
