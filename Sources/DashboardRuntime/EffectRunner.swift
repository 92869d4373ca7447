import CacheCore
import CacheProtocol
import Dashboard
import Foundation
import LoadGenerator
import RedisClient
import Synchronization

/// Carries out the dashboard's effects: invalidations on Redis directly (through the same
/// protocol the servers use), re-warming through a server's `POST /cache/warm`, and the demo
/// load. Results come back to the dashboard as inputs through `report`.
///
/// Re-warms and load go to `--server` when given, else to the longest-running server that
/// announces itself in Redis (`ServerPresence`).
final class EffectRunner: Sendable {
    private let deletion: KeyDeletion
    private let stream: EventStream
    private let explicitServerURL: String?
    /// Announced servers, longest-running first: all of them (for load), and those that take admin calls.
    private let announced = Mutex<(all: [String], admin: [String])>(([], []))
    private let adminToken: String?
    private let client = HTTPClient(timeout: 10)
    private let report: @Sendable (DashboardInput) -> Void
    private let load = Mutex<Task<Void, Never>?>(nil)

    init(
        redis: RedisPipeline, eventsKey: String, serverURL: String?, adminToken: String?,
        report: @escaping @Sendable (DashboardInput) -> Void
    ) {
        deletion = KeyDeletion(redis: redis, schema: KeySchema())
        stream = EventStream(key: eventsKey)
        explicitServerURL = serverURL
        self.adminToken = adminToken
        self.report = report
    }

    func perform(_ effect: Effect) {
        switch effect {
        case .invalidate(let key): Task { await invalidate(Glob.escape(key), label: key) }
        case .invalidatePattern(let pattern): Task { await invalidate(pattern, label: pattern) }
        case .countPattern(let pattern):
            Task {
                report(.patternCount(pattern: pattern, count: try? await deletion.count(pattern, until: .now + .seconds(2))))
            }
        case .warm(let key): Task { await warm(body: "{\"key\": \(Self.quoted(key))}", label: key) }
        case .warmAll: Task { await warm(body: "{}", label: nil) }
        case .toggleLoad: toggleLoad()
        case .failOrigin(let fail): Task { await failOrigin(fail) }
        case .setRefreshInterval, .quit: break  // the loop's own business
        }
    }

    /// Takes note of the servers the last poll found that would take admin calls from here.
    func serversAnnounced(_ servers: [ServerPresence]) {
        let all = ServerPresence.longestRunningFirst(servers).map(\.url)
        let admin = ServerPresence.adminCandidates(servers, haveToken: adminToken != nil).map(\.url)
        announced.withLock { $0 = (all, admin) }
    }

    /// Where admin calls go, in the order to try them: `--server`, else the announced servers that take them.
    private var serverURLs: [String] { explicitServerURL.map { [$0] } ?? announced.withLock { $0.admin } }
    /// Where the demo load goes: plain requests, which any server takes.
    private var loadURL: String? { explicitServerURL ?? announced.withLock { $0.all.first } }

    private static let noServer =
        "no server that takes admin calls from here announces itself in Redis: start one (with --admin-token if it is off loopback), or watch with --server http://host:port"

    func stopLoad() {
        load.withLock {
            $0?.cancel()
            $0 = nil
        }
    }

    private func invalidate(_ pattern: String, label: String) async {
        do {
            let reason = "dashboard"
            let deleted = try await deletion.delete(pattern, reason: reason, until: .now + .seconds(2))
            let event = CacheEvent(
                outcome: .invalidate, key: pattern, route: "*", deleted: deleted, reason: reason, server: "dashboard",
                timestampMs: Int64(Date().timeIntervalSince1970 * 1000))
            _ = try? await deletion.redis.send(stream.append(event))
            report(.actionFinished("invalidated \(deleted) key\(deleted == 1 ? "" : "s") (\(label))"))
        } catch {
            report(.actionFinished("invalidate failed: Redis unreachable, nothing was deleted (\(label))"))
        }
    }

    private func warm(body: String, label: String?) async {
        let urls = serverURLs
        guard !urls.isEmpty else {
            report(.actionFinished("re-warm needs a server: " + Self.noServer))
            return
        }
        // A server that just died is announced for a few more seconds: try the next one.
        for serverURL in urls {
            let started = ContinuousClock.now
            guard let response = try? await client.post(serverURL + "/cache/warm", json: body, headers: authorization) else {
                continue
            }
            let took = DurationText.format(.now - started)
            guard response.status == 200 else {
                report(.actionFinished("warm failed: \(response.json["error"] as? String ?? "HTTP \(response.status)")"))
                return
            }
            let warmed = response.json["warmed"] as? [String] ?? []
            let outcome =
                switch (label, warmed.count) {
                case (let key?, 0): "\(key) was already warm"
                case (let key?, _): "warmed \(key) in \(took)"
                case (nil, 0): "every warm target was already warm"
                case (nil, let count): "warmed \(count) target\(count == 1 ? "" : "s") in \(took)"
                }
            report(.actionFinished("\(outcome) (via \(serverURL))"))
            return
        }
        report(.actionFinished("warm failed: \(urls.joined(separator: ", ")) did not answer"))
    }

    /// Asks every server that takes admin calls to fail its store reads, or stop: the switch is per process.
    private func failOrigin(_ fail: Bool) async {
        let urls = serverURLs
        guard !urls.isEmpty else {
            report(.actionFinished("the origin switch needs a server: " + Self.noServer))
            return
        }
        var switched: [String] = [], refused: [String] = []
        for serverURL in urls {
            let response = try? await client.post(
                serverURL + "/debug/origin", json: "{\"fail\": \(fail)}", headers: authorization)
            if response?.status == 200 {
                switched.append(serverURL)
            } else {
                refused.append(
                    "\(serverURL) (\(response.map { $0.json["error"] as? String ?? "HTTP \($0.status)" } ?? "no answer"))")
            }
        }
        let done =
            switched.isEmpty
            ? "" : "store reads \(fail ? "fail" : "succeed again") on \(switched.count) server\(switched.count == 1 ? "" : "s")"
        let failed = refused.isEmpty ? "" : "origin switch failed: " + refused.joined(separator: ", ")
        report(.actionFinished([done, failed].filter { !$0.isEmpty }.joined(separator: "; ")))
    }

    private var authorization: [String: String] {
        adminToken.map { ["Authorization": "Bearer \($0)"] } ?? [:]
    }

    private func toggleLoad() {
        let report = self.report
        let serverURL = loadURL
        load.withLock { task in
            if let running = task {  // stopping needs no server: the one it ran against may be gone
                running.cancel()
                task = nil
                report(.loadStatus(nil))
                report(.actionFinished("demo load stopped"))
                return
            }
            guard let serverURL else {
                report(
                    .actionFinished(
                        "demo load needs a server: none announces itself in Redis; start one, or watch with --server http://host:port"
                    ))
                return
            }
            task = Task {
                let stats = LoadStats()
                let runner = LoadRunner(baseURL: serverURL, rps: 200, concurrency: 16, writeRatio: 0.01)
                let sending = Task { await runner.run(for: nil, stats: stats) }
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    var window = stats.takeWindow()
                    window.elapsed = .seconds(1)
                    if !Task.isCancelled { report(.loadStatus("load → \(serverURL): " + window.summary)) }
                }
                sending.cancel()
            }
            report(.actionFinished("demo load started: 200 rps against \(serverURL)"))
        }
    }

    private static func quoted(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
