import CacheCore
import CacheProtocol
import CacheScopeKit
import Foundation
import ProductAPI
import RedisClient
import TestSupport
import Testing

@Suite struct NearCacheTests {
    let body: [UInt8] = Array(#"{"products":[]}"#.utf8)

    @Test func keepsNothingWhileDisabledOrAfterARacingInvalidation() {
        let cache = NearCache(maxAge: .seconds(5))
        #expect(cache.readStarted() == nil)  // off until the invalidation channel is confirmed
        cache.setEnabled(true, since: .now + .seconds(60))  // the lease is not under test here
        let raced = cache.readStarted()!
        cache.invalidate(["shop:/other:e3b0c442"])  // any invalidation during a read: the reply may be stale
        cache.store(body, for: "k", ticket: raced)
        #expect(cache.body(for: "k") == nil)
        cache.store(body, for: "k", ticket: cache.readStarted()!)
        #expect(cache.body(for: "k") == body)
        cache.invalidate(["k"])
        #expect(cache.body(for: "k") == nil)
        cache.store(body, for: "k", ticket: cache.readStarted()!)
        cache.flush()  // a fence from a write anywhere
        #expect(cache.body(for: "k") == nil)
        cache.store(body, for: "k", ticket: cache.readStarted()!)
        #expect(cache.count == 1)
        cache.setEnabled(false)  // the channel dropped: forget everything
        #expect(cache.count == 0)
    }

    /// An entry lives `maxAge`, or what Redis had left if shorter, counted from when the read was sent.
    @Test func entriesLiveAtMostMaxAgeAndNeverPastTheRedisEntry() {
        let cache = NearCache(maxAge: .milliseconds(400))
        let start = ContinuousClock.now
        cache.setEnabled(true, since: start)
        cache.store(body, for: "k", ticket: cache.readStarted(now: start)!)
        #expect(cache.body(for: "k", now: start + .milliseconds(399)) == body)
        #expect(cache.body(for: "k", now: start + .milliseconds(400)) == nil)
        cache.store(body, for: "k", ticket: cache.readStarted(now: start)!, redisTTL: .milliseconds(150))
        #expect(cache.body(for: "k", now: start + .milliseconds(149)) == body)
        #expect(cache.body(for: "k", now: start + .milliseconds(150)) == nil)
        cache.store(body, for: "gone", ticket: cache.readStarted(now: start)!, redisTTL: .milliseconds(-2))
        #expect(cache.body(for: "gone", now: start) == nil)
    }

    /// Memory stays within the byte budget whatever is stored, and a key stored again is counted once.
    @Test func bodiesStayWithinTheByteBudget() {
        let cache = NearCache(maxAge: .seconds(5), capacityBytes: 100)
        cache.setEnabled(true, since: .now + .seconds(60))
        let thirty = [UInt8](repeating: 1, count: 30)
        for index in 0..<10 {
            cache.store(thirty, for: "k\(index)", ticket: cache.readStarted()!)  // 32 bytes each
            #expect(cache.bytes <= 100)
            #expect(cache.body(for: "k\(index)") == thirty)
        }
        cache.store(thirty, for: "k9", ticket: cache.readStarted()!)
        #expect(cache.bytes == 32 * cache.count)
        cache.store([UInt8](repeating: 2, count: 101), for: "big", ticket: cache.readStarted()!)
        #expect(cache.body(for: "big") == nil)  // never fits: not kept, and nothing else dropped for it
        #expect(cache.body(for: "k9") == thirty)
        cache.invalidate(["k9"])
        #expect(cache.bytes == 32 * cache.count)
        cache.flush()
        #expect(cache.bytes == 0)
    }

    /// Serving needs a heartbeat echoed within the lease: a server that may have missed a fence
    /// stops serving from memory before the write that sent it returns.
    @Test func servesOnlyWithinTheLeaseOfTheLastEchoedHeartbeat() {
        let cache = NearCache(maxAge: .seconds(30))
        let start = ContinuousClock.now
        cache.setEnabled(true, since: start)
        cache.store(body, for: "k", ticket: cache.readStarted(now: start)!)
        #expect(cache.body(for: "k", now: start + NearCache.lease - .milliseconds(1)) == body)
        #expect(cache.body(for: "k", now: start + NearCache.lease) == nil)
        let beat = start + .milliseconds(300)
        cache.renewLease(sentAt: beat)
        #expect(cache.body(for: "k", now: beat + NearCache.lease - .milliseconds(1)) == body)
        cache.renewLease(sentAt: start)  // a late echo of an older beat never shortens it
        #expect(cache.body(for: "k", now: beat + NearCache.lease - .milliseconds(1)) == body)
        #expect(cache.body(for: "k", now: beat + NearCache.lease) == nil)
    }

    /// With `--near-cache`, repeated hits stop costing Redis GETs, and a delete by another Redis
    /// client reaches this server through tracking, so the next request is a MISS.
    @Test func repeatedHitsSkipRedisUntilAnotherClientChangesTheKey() async throws {
        try await withServer(configure: { $0.cache.nearCacheMaxAge = .seconds(30) }) { server, _ in
            #expect(await waitUntil { server.server.cache.near?.isEnabled == true })
            #expect(try await server.get("/products").header("X-Cache") == "MISS")
            let key = "shop:/products:e3b0c442"
            var hits = 0
            var servedFromMemory = false
            // A loaded machine can deliver a message late: the fill's own SET's invalidation (then a
            // hit from Redis is not kept: hit until it is), or a heartbeat's echo after the lease
            // (then hits read Redis until the next one). One of a few rounds must skip Redis entirely.
            for _ in 0..<5 where !servedFromMemory {
                try await waitUntil(every: .zero) { () async throws -> Bool in
                    #expect(try await server.get("/products").header("X-Cache") == "HIT")
                    hits += 1
                    return server.server.cache.near?.body(for: key) != nil
                }
                let getsBefore = try await redisGets(server.redis)
                let round = Int.random(in: 5...15)
                for _ in 0..<round { #expect(try await server.get("/products").header("X-Cache") == "HIT") }
                hits += round
                servedFromMemory = try await redisGets(server.redis) == getsBefore
            }
            #expect(servedFromMemory, "repeated hits kept reading Redis")
            let near = try await server.get("/cache/stats").json["near_cache"] as? [String: Any]
            #expect(near?["entries"] as? Int == 1)
            #expect(near?["max_age_ms"] as? Int == 30_000)

            _ = try await server.redis.call("UNLINK", key)  // as another server or the dashboard would
            #expect(await waitUntil { server.server.cache.near?.body(for: key) == nil })
            #expect(try await server.get("/products").header("X-Cache") == "MISS")
            await server.stop()
            #expect(server.server.cache.recorder.totals["/products"]?.hits == hits)  // near hits are counted as hits
        }
    }

    @Test func aWriteHereIsSeenAtOnceAndRedisLossTurnsItOff() async throws {
        try await withServer(configure: { $0.cache.nearCacheMaxAge = .seconds(30) }) { server, redis in
            #expect(await waitUntil { server.server.cache.near?.isEnabled == true })
            _ = try await server.get("/products")
            #expect(try await server.get("/products").header("X-Cache") == "HIT")
            let created = try await server.send("POST", "/products", json: #"{"name": "Near", "price": 1}"#)
            #expect(created.status == 201)
            let listing = try await server.get("/products")
            #expect(listing.header("X-Cache") == "MISS")
            #expect(listing.json["count"] as? Int == 6)

            await redis.stop()
            #expect(await waitUntil { server.server.cache.near?.isEnabled == false })
            #expect(try await server.get("/products").header("X-Cache") == "BYPASS")
            await server.stop()
        }
    }

    /// The write fence: when a write on A returns, B can no longer serve from memory, not even keys
    /// the write did not touch (Redis's own tracking message is asynchronous and names only the
    /// deleted keys; the fence is neither), and B's next read is fresh. Round after round, as a user
    /// alternating servers would see it.
    @Test func aWriteOnOneServerIsSeenAtOnceByAnother() async throws {
        try await withServer { b, redis in
            let a = try await TestServer.start(redis: redis.endpoint, store: b.server.configuration.store)
            #expect(await waitUntil { a.server.cache.near?.isEnabled == true && b.server.cache.near?.isEnabled == true })
            let keys = try ["/products", "/products/1"].map { try b.server.cache.routes.resolve(target: $0).key.description }
            for round in 1...10 {
                try await fillNearCache(of: b, with: ["/products", "/products/1"])
                #expect(try await a.send("POST", "/products", json: #"{"name": "Round \#(round)", "price": 1}"#).status == 201)
                for key in keys { #expect(b.server.cache.near?.body(for: key) == nil, "B could still serve \(key) from memory") }
                let listing = try await b.get("/products")
                #expect(listing.json["count"] as? Int == 5 + round)
                #expect(listing.header("X-Cache") == "MISS")
            }
            await a.stop()
        }
    }

    /// A near cache that Redis lists (it sent a heartbeat within the lease) but that never answers
    /// (a stalled server, or one whose subscription died unnoticed) is waited out for the length of
    /// its lease, after which it cannot be serving from memory; then the write returns. Once it
    /// has not registered for the membership window, writes no longer wait for it.
    @Test func aSilentNearCacheIsWaitedOutForItsLease() async throws {
        try await withServer { server, _ in
            #expect(await waitUntil { server.server.cache.near?.isEnabled == true })
            // Its heartbeats, as the server's own beat script registers them, by Redis's clock.
            let heartbeats = Task {
                let register = RedisCommand(
                    "EVAL",
                    "local t = redis.call('TIME') return redis.call('ZADD', KEYS[1], t[1] * 1000 + math.floor(t[2] / 1000), 'silent')",
                    "1", KeySchema().nearCaches)
                while !Task.isCancelled {
                    _ = try? await server.redis.send(register)
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
            try await Task.sleep(for: .milliseconds(100))
            let waited = ContinuousClock.now
            #expect(try await server.send("POST", "/products", json: #"{"name": "Waited", "price": 1}"#).status == 201)
            let took = ContinuousClock.now - waited
            #expect(took >= NearCache.lease)
            #expect(took < NearCache.lease + .seconds(6), "waited out, not hung (4.1 s seen in the loaded parallel suite)")
            #expect(server.server.cache.invalidator.fence.waitedOut == 1)

            heartbeats.cancel()
            _ = await heartbeats.value
            try await Task.sleep(for: Fences.membership)
            #expect(try await server.send("POST", "/products", json: #"{"name": "Not waited", "price": 1}"#).status == 201)
            #expect(server.server.cache.invalidator.fence.published == 2)
            #expect(server.server.cache.invalidator.fence.waitedOut == 1, "waited for a near cache that stopped its heartbeats")
        }
    }

    /// Redis drops the subscription (a restart, `CLIENT KILL`, an output-buffer limit): the near
    /// cache empties and stops, then comes back on a new subscription that fences reach again.
    @Test func aKilledSubscriptionTurnsTheNearCacheOffUntilItIsBack() async throws {
        try await withServer { server, _ in
            #expect(await waitUntil { server.server.cache.near?.isEnabled == true })
            try await fillNearCache(of: server, with: ["/products"])
            _ = try await server.redis.call("CLIENT", "KILL", "TYPE", "pubsub")
            #expect(await waitUntil { server.server.cache.near?.count == 0 })
            #expect(await waitUntil { server.server.cache.near?.isEnabled == true })
            try await fillNearCache(of: server, with: ["/products"])
            let other = try await TestServer.start(
                redis: server.server.configuration.cache.redis,
                store: server.server.configuration.store)
            #expect(try await other.send("POST", "/products", json: #"{"name": "After", "price": 1}"#).status == 201)
            #expect(server.server.cache.near?.body(for: "shop:/products:e3b0c442") == nil)
            #expect(try await server.get("/products").json["count"] as? Int == 6)
            await other.stop()
        }
    }

    /// Requests `paths` on `server` until each is kept in its near cache.
    func fillNearCache(of server: TestServer, with paths: [String]) async throws {
        for path in paths {
            let key = try server.server.cache.routes.resolve(target: path).key.description
            let kept = try await waitUntil(timeout: .seconds(15), every: .zero) { () async throws -> Bool in
                _ = try await server.get(path)
                return server.server.cache.near?.body(for: key) != nil
            }
            #expect(kept)
        }
    }

    func redisGets(_ redis: RedisPipeline) async throws -> Int {
        let stats = try await redis.send(RedisCommand("INFO", "commandstats")).string ?? ""
        let line = stats.split(separator: "\r\n").first { $0.hasPrefix("cmdstat_get:") } ?? ""
        return line.split(separator: ",").first.flatMap { Int($0.split(separator: "=").last ?? "") } ?? 0
    }
}
