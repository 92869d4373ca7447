import CacheServer
import Foundation
import RedisClient
import Testing
import TestSupport

@Suite struct NearCacheTests {
    let body: [UInt8] = Array(#"{"products":[]}"#.utf8)

    @Test func keepsNothingWhileDisabledOrAfterARacingInvalidation() {
        let cache = NearCache(maxAge: .seconds(5))
        #expect(cache.readStarted() == nil)  // off until the invalidation channel is confirmed
        cache.setEnabled(true)
        let raced = cache.readStarted()!
        cache.invalidate(["shop:/other:e3b0c442"])  // any invalidation during a read: the reply may be stale
        cache.store(body, for: "k", readAt: raced)
        #expect(cache.body(for: "k") == nil)
        cache.store(body, for: "k", readAt: cache.readStarted()!)
        #expect(cache.body(for: "k") == body)
        cache.invalidate(["k"])
        #expect(cache.body(for: "k") == nil)
        cache.store(body, for: "k", readAt: cache.readStarted()!)
        cache.setEnabled(false)  // the channel dropped: forget everything
        cache.setEnabled(true)
        #expect(cache.body(for: "k") == nil)
    }

    @Test func entriesLiveAtMostMaxAge() {
        let cache = NearCache(maxAge: .milliseconds(500))
        cache.setEnabled(true)
        let start = ContinuousClock.now
        cache.store(body, for: "k", readAt: cache.readStarted()!, now: start)
        #expect(cache.body(for: "k", now: start + .milliseconds(499)) == body)
        #expect(cache.body(for: "k", now: start + .milliseconds(500)) == nil)
    }

    /// With `--near-cache`, repeated hits stop costing Redis GETs, and a delete by another Redis
    /// client reaches this server through tracking, so the next request is a MISS.
    @Test func repeatedHitsSkipRedisUntilAnotherClientChangesTheKey() async throws {
        try await withServer(configure: { $0.nearCacheMaxAge = .seconds(30) }) { server, _ in
            try await waitUntil { server.server.cache.near?.isEnabled == true }
            #expect(try await server.get("/products").header("X-Cache") == "MISS")
            // A hit from Redis is kept here, unless an invalidation arrives during its read: the fill's
            // own SET sends one, which a loaded machine may deliver late. Hit until it is kept.
            let key = "shop:/products:e3b0c442"
            let deadline = ContinuousClock.now + .seconds(5)
            var hitsFromRedis = 0
            repeat {
                #expect(try await server.get("/products").header("X-Cache") == "HIT")
                hitsFromRedis += 1
            } while server.server.cache.near?.body(for: key) == nil && ContinuousClock.now < deadline
            let getsBefore = try await redisGets(server.redis)
            let hits = Int.random(in: 5...15)
            for _ in 0..<hits { #expect(try await server.get("/products").header("X-Cache") == "HIT") }
            #expect(try await redisGets(server.redis) == getsBefore)
            let near = try await server.get("/cache/stats").json["near_cache"] as? [String: Any]
            #expect(near?["active"] as? Bool == true)
            #expect(near?["entries"] as? Int == 1)
            #expect(near?["max_age_ms"] as? Int == 30_000)

            _ = try await server.redis.call("UNLINK", key)  // as another server or the dashboard would
            try await waitUntil { server.server.cache.near?.body(for: key) == nil }
            #expect(try await server.get("/products").header("X-Cache") == "MISS")
            await server.stop()
            #expect(server.server.recorder.totals["/products"]?.hits == hitsFromRedis + hits)  // near hits are counted as hits
        }
    }

    @Test func aWriteHereIsSeenAtOnceAndRedisLossTurnsItOff() async throws {
        try await withServer(configure: { $0.nearCacheMaxAge = .seconds(30) }) { server, redis in
            try await waitUntil { server.server.cache.near?.isEnabled == true }
            _ = try await server.get("/products")
            #expect(try await server.get("/products").header("X-Cache") == "HIT")
            let created = try await server.send("POST", "/products", json: #"{"name": "Near", "price": 1}"#)
            #expect(created.status == 201)
            let listing = try await server.get("/products")
            #expect(listing.header("X-Cache") == "MISS")
            #expect(listing.json["count"] as? Int == 6)

            await redis.stop()
            try await waitUntil { server.server.cache.near?.isEnabled == false }
            #expect(try await server.get("/products").header("X-Cache") == "BYPASS")
            await server.stop()
        }
    }

    func redisGets(_ redis: RedisPipeline) async throws -> Int {
        let stats = try await redis.send(RedisCommand("INFO", "commandstats")).string ?? ""
        let line = stats.split(separator: "\r\n").first { $0.hasPrefix("cmdstat_get:") } ?? ""
        return line.split(separator: ",").first.flatMap { Int($0.split(separator: "=").last ?? "") } ?? 0
    }

    func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(condition())
    }
}
