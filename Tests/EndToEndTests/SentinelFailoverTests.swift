import Foundation
import LoadGenerator
import RedisClient
import Synchronization
import TestSupport
import Testing

/// Two `cachescope serve` and a `watch` on a Sentinel-managed Redis whose master is killed
/// (`SIGKILL`) under a steady load.
@Suite(.serialized) struct SentinelFailoverTests {
    let tmux = Tmux()

    @Test func aKilledMasterFailsOverWithNo5xxAndHitsComeBack() async throws {
        try await withSentinelFleet { fleet in
            let database = TestServer.temporaryDatabase()
            var servers: [(process: ChildProcess, url: String)] = []
            // The first without a near cache (its HITs come from Redis: what the gap is measured on), the
            // second with one (its tracking and fences must come back on the new master).
            for nearCache in ["off", "1s"] {
                let port = Binary.freePort()
                let process = try ChildProcess(
                    path: Binary.path,
                    arguments: [
                        "serve", "--port", String(port), "--db", database, "--redis", fleet.url, "--origin-delay", "0",
                        "--near-cache", nearCache, "--no-warm",
                    ],
                    outputPath: "\(database).\(port).log")
                servers.append((process, "http://127.0.0.1:\(port)"))
            }
            defer { for server in servers { Task { [process = server.process] in await process.terminate() } } }
            for server in servers { #expect(await Binary.waitUntilServing(server.url + "/health")) }

            try await tmux.start("\(Binary.path) watch --redis '\(fleet.url)' --log-file \(database).watch.log; sleep 30")
            defer { tmux.kill() }
            let before = try await tmux.waitForScreen(timeout: .seconds(15)) {
                $0.contains("127.0.0.1:\(fleet.masterPort)") && $0.contains("servers 2")
            }
            #expect(before.contains("servers 2"), "watch sees both servers: \(before)")

            // A steady load on both servers, each answer recorded with when it came.
            let answers = AnswerLog()  // of the server without a near cache
            let urls = servers.map(\.url)
            let load = Task {
                let client = HTTPClient(timeout: 5)
                var round = 0
                while !Task.isCancelled {
                    round += 1
                    if let response = try? await client.get(urls[round % 2] + "/products/\(round % 5 + 1)") {
                        #expect(response.status < 500, "\(urls[round % 2]): \(response.status)")
                        if round % 2 == 0 {
                            answers.withLock { $0.append((.now, response.status, response.header("X-Cache") ?? "-")) }
                        }
                    }
                    try? await Task.sleep(for: .milliseconds(10))
                }
            }
            try await Task.sleep(for: .seconds(2))
            let killed = ContinuousClock.now
            fleet.masterProcess.signal(SIGKILL)
            let hitAgain = await waitUntil(timeout: .seconds(20), every: .milliseconds(50)) {
                answers.withLock { $0.contains { $0.at > killed + .milliseconds(100) && $0.cache == "HIT" } }
            }
            try await Task.sleep(for: .seconds(1))
            load.cancel()
            _ = await load.value
            let recorded = answers.withLock { $0 }
            let firstHit = recorded.first { $0.at > killed + .milliseconds(100) && $0.cache == "HIT" }
            let gap = firstHit.map { $0.at - killed }
            print("failover: first HIT \(gap.map { "\($0)" } ?? "never") after SIGKILL of the master")
            #expect(hitAgain)
            #expect(gap.map { $0 < .seconds(10) } == true, "first HIT after \(String(describing: gap))")
            #expect(recorded.allSatisfy { $0.status < 500 }, "no 5xx: \(recorded.filter { $0.status >= 500 }.count)")
            #expect(recorded.contains { $0.at > killed && $0.cache == "BYPASS" }, "BYPASS during the gap")

            #expect(await fleet.currentMasterPort() == fleet.replicaPort, "the replica was promoted")
            let client = HTTPClient()
            let created = try await client.post(
                servers[0].url + "/products", json: #"{"name": "After failover", "price": 2, "category": "failover"}"#)
            #expect(created.status == 201)
            let id = try #require(created.json["id"] as? Int)
            #expect(try await client.get(servers[1].url + "/products/\(id)").json["name"] as? String == "After failover")
            #expect(try await client.get(servers[1].url + "/products?category=failover").json["count"] as? Int == 1)

            let nearCacheBack = await waitUntil(timeout: .seconds(10), every: .milliseconds(200)) {
                let stats = try? await client.get(servers[1].url + "/cache/stats").json["near_cache"] as? [String: Any]
                return stats?["active"] as? Bool == true
            }
            #expect(nearCacheBack, "the near cache's subscription is rebuilt on the new master")
            _ = try await client.get(servers[1].url + "/products/1")
            let deleted = try await client.send("DELETE", servers[0].url + "/products/\(id)")
            #expect(deleted.status == 200)
            #expect(try await client.get(servers[1].url + "/products/\(id)").status == 404, "the near cache saw the fence")

            let after = try await tmux.waitForScreen(timeout: .seconds(15)) { $0.contains("127.0.0.1:\(fleet.replicaPort)") }
            #expect(after.contains("127.0.0.1:\(fleet.replicaPort)"), "watch shows the new master")
            let stat = try ChildProcess(
                path: Binary.path, arguments: ["stat", "--redis", fleet.url, "--once", "--json"],
                outputPath: "\(database).stat.json")
            #expect(await stat.wait(timeout: .seconds(20)) == 0)
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(database).stat.json")))
            let redis = (report as? [String: Any])?["redis"] as? [String: Any]
            #expect(
                (redis?["address"] as? String)?.contains("127.0.0.1:\(fleet.replicaPort)") == true, "stat reads the new master")
        }
    }
}

extension SentinelFailoverTests {
    /// `SENTINEL FAILOVER`: the old master stays up, demoted to a replica that refuses writes; the
    /// server moves to the new master (by `+switch-master`, `-READONLY` or the connections Sentinel
    /// closes, whichever comes first) and writes and caches there again.
    @Test func aGracefulFailoverMovesTheServerOffTheDemotedMaster() async throws {
        try await withSentinelFleet { fleet in
            let port = Binary.freePort()
            let server = try ChildProcess(
                path: Binary.path,
                arguments: [
                    "serve", "--port", String(port), "--db", TestServer.temporaryDatabase(), "--redis", fleet.url,
                    "--origin-delay", "0", "--near-cache", "off", "--no-warm",
                ],
                outputPath: Scratch.path("graceful-\(port).log"))
            defer { Task { await server.terminate() } }
            let url = "http://127.0.0.1:\(port)"
            #expect(await Binary.waitUntilServing(url + "/health"))
            let client = HTTPClient()
            _ = try await client.get(url + "/categories")
            #expect(try await client.get(url + "/categories").header("X-Cache") == "HIT")

            let sentinel = RedisPipeline(
                endpoint: RedisEndpoint(address: .tcp(host: "127.0.0.1", port: fleet.sentinelPorts[0])), name: "admin",
                options: .background)
            defer { sentinel.stop() }
            try await sentinel.call("SENTINEL", "FAILOVER", SentinelFleet.masterName)
            let promoted = await waitUntil(timeout: .seconds(15), every: .milliseconds(100)) {
                await fleet.currentMasterPort() == fleet.replicaPort
            }
            #expect(promoted)
            let created = try await client.post(url + "/products", json: #"{"name": "Moved", "price": 1, "category": "moved"}"#)
            #expect(created.status == 201)
            let cachedAgain = await waitUntil(timeout: .seconds(10), every: .milliseconds(100)) {
                _ = try? await client.get(url + "/products?category=moved")
                return (try? await client.get(url + "/products?category=moved"))?.header("X-Cache") == "HIT"
            }
            #expect(cachedAgain, "fills reach the new master")
            #expect(try await client.get(url + "/products?category=moved").json["count"] as? Int == 1)
        }
    }
}

/// Answers as they come, from the load task.
final class AnswerLog: Sendable {
    private let answers = Mutex<[(at: ContinuousClock.Instant, status: Int, cache: String)]>([])

    func withLock<T>(_ body: (inout [(at: ContinuousClock.Instant, status: Int, cache: String)]) -> T) -> T {
        answers.withLock { body(&$0) }
    }
}
