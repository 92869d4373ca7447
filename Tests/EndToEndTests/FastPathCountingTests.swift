import CacheCore
import CacheProtocol
import Foundation
import LoadGenerator
import RedisClient
import TestSupport
import Testing

/// Hits answered by the fast path are counted like any hit, in `/cache/stats`, the event stream and
/// `/metrics`: checked on a server process of its own, whose metrics no other test touches.
@Suite struct FastPathCountingTests {
    @Test func fastHitsAreCountedEverywhere() async throws {
        try await withRedis { redis in
            let port = Binary.freePort()
            let base = "http://127.0.0.1:\(port)"
            let child = try ChildProcess(
                path: Binary.path,
                arguments: [
                    "serve", "--port", String(port), "--db", TestServer.temporaryDatabase(), "--redis", "\(redis.endpoint)",
                    "--origin-delay", "0", "--near-cache", "60s",  // outlives the test however slow
                ],
                outputPath: Scratch.path("fast-path-\(port).log"))
            defer { Task { await child.terminate() } }
            #expect(await Binary.waitUntilServing(base + "/health"))
            let client = HTTPClient()
            func stats() async throws -> [String: Any] { try await client.get(base + "/cache/stats").json }
            func fastHits() async throws -> Int {
                (try await stats()["near_cache"] as? [String: Any])?["fast_path_hits"] as? Int ?? -1
            }
            func listingHits() async throws -> Int {
                ((try await stats()["routes"] as? [String: [String: Any]])?["/products"]?["hits"] as? Int) ?? -1
            }
            func metric() async throws -> Int {
                let text = String(decoding: try await client.get(base + "/metrics").body, as: UTF8.self)
                let line = text.split(separator: "\n").first {
                    $0.hasPrefix("hb_requests{") && $0.contains("http_route=\"/products\"")
                        && $0.contains("http_response_status_code=\"200\"")
                }
                return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
            }
            // Warmed at start: hit until the near cache holds the listing and the fast path answers.
            await waitUntil(timeout: .seconds(10)) {
                _ = try? await client.get(base + "/products")
                return ((try? await fastHits()) ?? 0) > 0
            }
            let fastBefore = try await fastHits(), hitsBefore = try await listingHits(), metricBefore = try await metric()
            #expect(fastBefore > 0)

            let connection = try await RawConnection.open(port: port)
            defer { connection.close() }
            try await connection.send(String(repeating: "GET /products HTTP/1.1\r\nHost: t\r\n\r\n", count: 5))
            #expect(await connection.responses(5).map { $0.header("X-Cache") } == Array(repeating: "HIT", count: 5))
            #expect(try await fastHits() == fastBefore + 5)
            #expect(try await listingHits() == hitsBefore + 5)
            #expect(try await metric() == metricBefore + 5)

            // Every hit this server counted is in the stream too (published within 100 ms).
            let server = try #require(try await stats()["server"] as? String)
            let probe = RedisPipeline(endpoint: redis.endpoint, name: "probe", options: .background)
            defer { probe.stop() }
            func streamedHits() async -> Int {
                let entries = (try? await probe.send(RedisCommand("XRANGE", KeySchema().events, "-", "+")))?.elements ?? []
                return entries.compactMap(EventStream.event(inEntry:)).filter {
                    $0.server == server && $0.outcome == .hit && $0.route == "/products"
                }.count
            }
            let total = try await listingHits()
            await waitUntil(timeout: .seconds(5)) { await streamedHits() == total }
            #expect(await streamedHits() == total)
        }
    }
}
