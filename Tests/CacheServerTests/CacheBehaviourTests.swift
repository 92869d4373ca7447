import CacheCore
import CacheProtocol
import Foundation
import ProductAPI
import RedisClient
import TestSupport
import Testing

@testable import CacheScopeKit

@Suite struct CacheBehaviourTests {
    @Test func concurrentMissesOverHTTPLoadOnce() async throws {
        try await withServer(configure: { $0.originDelay = .milliseconds(300) }) { server, _ in
            let statuses = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<20 { group.addTask { try await server.get("/categories").header("X-Cache") } }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == "MISS" })
            let counts = try #require(server.server.cache.recorder.totals["/categories"])
            #expect(counts.originFetches == 1)
            #expect(counts.coalesced == 19)
            #expect(counts.misses == 20)
            #expect(counts.fills == 1)
        }
    }

    @Test func fillStartedBeforeInvalidationIsNotStored() async throws {
        try await withServer(configure: { $0.originDelay = .seconds(1) }) { server, _ in
            // The listing's origin read starts, then a product is created while it is in flight.
            async let slow = server.get("/products")
            try await waitForLoadInFlight(server)
            let created = try await server.send("POST", "/products", json: #"{"name":"Fresh","price":2}"#)
            #expect(created.status == 201)
            let stale = try await slow
            #expect(stale.json["count"] as? Int == 5)  // its snapshot predates the write
            // ...but it was not written back after the invalidation.
            #expect(try await server.redis.send(RedisCommand("EXISTS", "shop:/products:e3b0c442")) == .integer(0))
            let fresh = try await server.get("/products")
            #expect(fresh.header("X-Cache") == "MISS")
            #expect(fresh.json["count"] as? Int == 6)
            #expect(try await server.get("/products").json["count"] as? Int == 6)
        }
    }

    @Test func getAfterWriteNeverJoinsAnOlderLoad() async throws {
        try await withServer(configure: { $0.originDelay = .seconds(1) }) { server, _ in
            async let old = server.get("/products")
            try await waitForLoadInFlight(server)
            _ = try await server.send("POST", "/products", json: #"{"name":"Newer","price":2}"#)
            // Started after the POST returned, while the older load is still in flight.
            let after = try await server.get("/products")
            #expect(after.json["count"] as? Int == 6)
            _ = try await old
        }
    }

    /// The same across servers sharing a Redis and a store: B's in-flight load predates A's write,
    /// and A's invalidation must keep B's later requests from joining it.
    @Test func getOnAnotherServerAfterWriteNeverJoinsAnOlderLoad() async throws {
        try await withServer(configure: { $0.originDelay = .seconds(1) }) { slowB, redis in
            let a = try await TestServer.start(redis: redis.endpoint, store: slowB.server.configuration.store)
            async let old = slowB.get("/products")
            try await waitForLoadInFlight(slowB)
            #expect(try await a.send("POST", "/products", json: #"{"name":"Newer","price":2}"#).status == 201)
            let after = try await slowB.get("/products")
            #expect(after.json["count"] as? Int == 6, "B served a load that began before A's write")
            #expect(after.header("X-Cache") == "MISS")
            #expect(try await old.json["count"] as? Int == 5)
            await a.stop()
        }
    }

    @Test func patternInvalidationUsesScanNeverKeys() async throws {
        try await withServer { server, _ in
            for path in ["/products", "/products?featured=true", "/products?category=misc", "/products/1", "/categories"] {
                _ = try await server.get(path)
            }
            let response = try await server.send("POST", "/cache/invalidate", json: #"{"pattern": "shop:/products:*"}"#)
            #expect(response.json["deleted"] as? Int == 3)
            #expect(try await server.get("/products/1").header("X-Cache") == "HIT")
            #expect(try await server.get("/categories").header("X-Cache") == "HIT")
            #expect(try await server.get("/products").header("X-Cache") == "MISS")
            let commandStats = RedisInfo(try await server.redis.send(RedisCommand("INFO", "commandstats")).string ?? "")
            #expect(commandStats["cmdstat_keys"] == nil)
            #expect(commandStats["cmdstat_scan"] != nil)
            // A key given literally is escaped: its brackets are not a character class.
            _ = try await server.redis.send(RedisCommand("SET", "shop:[x]", "1"))
            _ = try await server.redis.send(RedisCommand("SET", "shop:x", "1"))
            let literal = try await server.send("POST", "/cache/invalidate", json: #"{"key": "shop:[x]"}"#)
            #expect(literal.json["deleted"] as? Int == 1)
            #expect(try await server.redis.send(RedisCommand("EXISTS", "shop:x")) == .integer(1))
        }
    }

    @Test func warmUpMakesTheFirstRequestAHit() async throws {
        try await withServer(configure: { $0.cache.warmOnStart = true }) { server, _ in
            #expect(try await server.get("/products").header("X-Cache") == "HIT")
            #expect(try await server.get("/products?featured=true").header("X-Cache") == "HIT")
            #expect(try await server.get("/categories").header("X-Cache") == "HIT")
            #expect(try await server.get("/products?category=misc").header("X-Cache") == "MISS")
            // Warming again skips what is there; a busted key is re-filled.
            #expect(try await server.send("POST", "/cache/warm").json["warmed"] as? [String] == [])
            _ = try await server.send("POST", "/cache/invalidate", json: #"{"key": "shop:/categories:e3b0c442"}"#)
            let rewarmed = try await server.send("POST", "/cache/warm", json: #"{"key": "shop:/categories:e3b0c442"}"#)
            #expect(rewarmed.json["warmed"] as? [String] == ["shop:/categories:e3b0c442"])
            // A key with a query is re-warmed from the request its fill recorded.
            let key = CacheKey(prefix: "shop", path: "/products", query: CanonicalQuery("category=misc")).description
            _ = try await server.send("POST", "/cache/invalidate", json: "{\"key\": \"\(key)\"}")
            #expect(
                try await server.send("POST", "/cache/warm", json: "{\"key\": \"\(key)\"}").json["warmed"] as? [String] == [key])
            #expect(try await server.send("POST", "/cache/warm", json: #"{"key": "shop:/nope:12345678"}"#).status == 404)
            // Keys with an empty query name their request themselves; one that is no cacheable request is unknown too.
            for key in ["shop:/nope:e3b0c442", "shop:/products/abc:e3b0c442"] {
                let unknown = try await server.send("POST", "/cache/warm", json: "{\"key\": \"\(key)\"}")
                #expect(unknown.status == 404, "\(key)")
                #expect((unknown.json["error"] as? String)?.contains("unknown key") == true, "\(key)")
            }
        }
    }

    @Test func publishedCountersEqualXCacheHeaders() async throws {
        try await withServer { server, _ in
            var seen: [String: Int] = [:]
            let paths = ["/products", "/products?featured=true", "/products/2", "/categories", "/products/99"]
            try await withThrowingTaskGroup(of: String?.self) { group in
                for i in 0..<300 { group.addTask { try await server.get(paths[i % paths.count]).header("X-Cache") } }
                for try await status in group { seen[status ?? "none", default: 0] += 1 }
            }
            await server.stop()  // flushes the publisher
            let probe = RedisPipeline(endpoint: server.redis.endpoint, name: "check", options: .background)
            defer { probe.stop() }
            var published: [String: Int] = [:]
            for route in ["/products", "/products/{id}", "/categories"] {
                let fields = try await probe.send(RedisCommand("HGETALL", KeySchema().route(route))).elements.compactMap(\.string)
                for pair in stride(from: 0, to: fields.count, by: 2) {
                    published[fields[pair], default: 0] += Int(fields[pair + 1]) ?? 0
                }
            }
            #expect(published["hits"] == seen["HIT"])
            #expect(published["misses"] == seen["MISS"])
            #expect((seen["HIT"] ?? 0) + (seen["MISS"] ?? 0) == 300)
            #expect((seen["HIT"] ?? 0) > 100)
            let streamLength = try await probe.send(RedisCommand("XLEN", "cachescope:events")).int ?? 0
            #expect(streamLength >= 300)
            let last = try await probe.send(RedisCommand("XREVRANGE", "cachescope:events", "+", "-", "COUNT", "1")).elements
            let fields = last.first?.elements.last?.elements.compactMap(\.string) ?? []
            let event = CacheEvent(
                streamFields: Dictionary(
                    uniqueKeysWithValues: stride(from: 0, to: fields.count, by: 2).map { (fields[$0], fields[$0 + 1]) }))
            #expect(event?.server == server.server.configuration.cache.serverID)
        }
    }

    @Test func redisDownMeansBypassThenRecovery() async throws {
        try await withServer { server, redis in
            #expect(try await server.get("/products").header("X-Cache") == "MISS")
            await redis.stop()
            for _ in 0..<3 {
                let response = try await server.get("/products")
                #expect(response.status == 200)
                #expect(response.header("X-Cache") == "BYPASS")
                #expect(response.json["count"] as? Int == 5)
            }
            #expect(try await server.get("/health").json["redis"] as? String == "down")
            #expect(try await server.get("/cache/stats").json["redis"] as? String == "down")
            try await redis.start()
            let back = ContinuousClock.now
            var status: String?
            while ContinuousClock.now - back < .seconds(2) {
                status = try await server.get("/products").header("X-Cache")
                if status == "HIT" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(status == "HIT")
        }
    }

    @Test func writeDuringStallIsCarriedOutBeforeAnyHit() async throws {
        try await withServer { server, redis in
            _ = try await server.get("/products")
            #expect(try await server.get("/products").header("X-Cache") == "HIT")
            let pid = try #require(redis.processIdentifier)
            kill(pid, SIGSTOP)
            let clock = ContinuousClock()
            let start = clock.now
            let created = try await server.send("POST", "/products", json: #"{"name":"During outage","price":3}"#)
            #expect(created.status == 201)
            #expect(clock.now - start < .milliseconds(2500))
            let during = try await server.get("/products")
            #expect(during.header("X-Cache") == "BYPASS")
            #expect(during.json["count"] as? Int == 6)
            kill(pid, SIGCONT)
            // The old listing is still in Redis until the queued invalidation runs; it must never be served.
            for _ in 0..<30 {
                let response = try await server.get("/products")
                #expect(response.json["count"] as? Int == 6)
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await server.get("/products").header("X-Cache") == "HIT")
        }
    }
}

/// Waits until an origin load is in flight (and its query has had time to run).
/// Until a load is in flight and (most likely) past its store query: a loaded machine has been seen
/// to take over 50 ms from the flight's start to the query, so give it 300 ms of the 1 s delay.
func waitForLoadInFlight(_ server: TestServer) async throws {
    await waitUntil(every: .milliseconds(5)) { server.server.cache.responses.flights.inFlight > 0 }
    try await Task.sleep(for: .milliseconds(300))
}
