import CacheCore
import Foundation
import ProductAPI
import RedisClient
import TestSupport
import Testing

@testable import CacheScopeKit

/// Past its TTL an entry is kept for the grace period: readers get the old body at once
/// (`X-Cache: STALE`, with `Age`) while exactly one refresh runs; a write removes it like a fresh one.
@Suite struct GraceTests {
    func staleServer(_ body: @escaping (TestServer) async throws -> Void) async throws {
        try await withServer(configure: {
            $0.ttls = ["/products": .seconds(1)]
            $0.routeOptions.grace = .seconds(30)
            $0.originDelay = .milliseconds(300)
        }) { server, _ in
            #expect(try await server.get("/products").header("X-Cache") == "MISS")
            let key = "shop:/products:e3b0c442"
            let ttl = try await server.redis.send(RedisCommand("PTTL", key)).int ?? -2
            #expect(ttl > 1_000 && ttl <= 31_000, "kept past its 1 s TTL, for TTL + grace")
            // Past the TTL: what Redis has left is within grace.
            let expired = await waitUntil(timeout: .seconds(5), every: .milliseconds(50)) {
                (try? await server.redis.send(RedisCommand("PTTL", key)).int).map { $0 <= 30_000 } ?? false
            }
            #expect(expired)
            try await body(server)
        }
    }

    @Test func fiftyReadersOfAnExpiredEntryGetItAtOnceAndOneRefreshRuns() async throws {
        try await staleServer { server in
            let started = ContinuousClock.now
            let answers = try await withThrowingTaskGroup(of: (String?, String?, Int).self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let response = try await server.get("/products")
                        return (response.header("X-Cache"), response.header("Age"), response.status)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.allSatisfy { $0.2 == 200 })
            #expect(answers.allSatisfy { $0.0 == "STALE" || $0.0 == "HIT" })
            #expect(answers.contains { $0.0 == "STALE" && Int($0.1 ?? "") != nil }, "a STALE answer carries Age")
            #expect(ContinuousClock.now - started < .seconds(5))
            let refreshed = await waitUntil { server.server.cache.recorder.totals["/products"]?.fills == 2 }
            #expect(refreshed, "the refresh stored the entry anew")
            let counts = try #require(server.server.cache.recorder.totals["/products"])
            #expect(counts.originFetches == 2, "one load for the miss, one refresh for fifty stale readers")
            #expect(counts.stale == answers.filter { $0.0 == "STALE" }.count)
            #expect(try await server.get("/products").header("X-Cache") == "HIT", "fresh again")
        }
    }

    @Test func twoServersReadingAStaleEntryRefreshItOnce() async throws {
        try await staleServer { a in
            var configuration = a.server.configuration
            configuration.cache.serverID = "second"
            let b = try await TestServer.start(
                redis: a.server.configuration.cache.redis, store: configuration.store
            ) {
                $0 = configuration
                $0.cache.port = 0
            }
            defer { Task { await b.stop() } }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for server in [a, b] {
                    for _ in 0..<25 {
                        group.addTask {
                            let response = try await server.get("/products")
                            #expect(response.status == 200)
                        }
                    }
                }
                try await group.waitForAll()
            }
            func fetches(_ server: TestServer) -> Int { server.server.cache.recorder.totals["/products"]?.originFetches ?? 0 }
            #expect(await waitUntil { fetches(a) + fetches(b) == 2 })
            try await Task.sleep(for: .milliseconds(500))  // a second refresh, if any, would have loaded by now
            #expect(fetches(a) + fetches(b) == 2, "the first miss and one refresh for the whole fleet")
        }
    }

    @Test func aWriteRemovesTheStaleCopyToo() async throws {
        try await staleServer { server in
            _ = try await server.send("POST", "/products", json: #"{"name": "After", "price": 2}"#)
            let listing = try await server.get("/products")
            #expect(listing.header("X-Cache") == "MISS", "nothing stale after a write")
            #expect(listing.json["count"] as? Int == 6)
        }
    }

    /// Stale-if-error: with the store failing, a copy within grace is still served, and a request
    /// with no copy gets a 503 JSON with Retry-After; the failed refresh leaves no lease behind.
    @Test func aFailingStoreStillServesACopyWithinGrace() async throws {
        try await staleServer { server in
            _ = try await server.send("POST", "/debug/origin", json: #"{"fail": true}"#)
            let stale = try await server.get("/products")
            #expect(stale.status == 200)
            #expect(stale.header("X-Cache") == "STALE")
            #expect(stale.json["count"] as? Int == 5)
            let cold = try await server.get("/categories")
            #expect(cold.status == 503)
            #expect(cold.header("Retry-After") == "1")
            let released = await waitUntil {
                (try? await server.redis.send(RedisCommand("EXISTS", "cachescope:refresh:shop:/products:e3b0c442")).int) == 0
            }
            #expect(released, "the failed refresh gave its lease back")
            _ = try await server.send("POST", "/debug/origin", json: #"{"fail": false}"#)
            #expect(try await server.get("/categories").status == 200)
        }
    }

    @Test func graceZeroExpiresAtTheTTL() async throws {
        try await withServer(configure: {
            $0.ttls = ["/products": .seconds(2)]
            $0.routeOptions.grace = .zero
        }) { server, _ in
            _ = try await server.get("/products")
            let ttl = try await server.redis.send(RedisCommand("PTTL", "shop:/products:e3b0c442")).int ?? -2
            #expect(ttl > 0 && ttl <= 2_000, "no grace added")
            try await Task.sleep(for: .milliseconds(2_100))
            #expect(try await server.get("/products").header("X-Cache") == "MISS")
        }
    }
}
