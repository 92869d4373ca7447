import CacheCore
import CacheProtocol
import Dashboard
import RedisClient
import TestSupport
import Testing

@testable import DashboardRuntime

@Suite struct RedisPollerTests {
    /// Keyspace hits and misses Redis has counted so far (INFO itself looks up no key).
    func keyspace(_ redis: RedisPipeline) async throws -> (hits: Int, misses: Int, calls: Int) {
        let stats = RedisInfo(try await redis.send(RedisCommand("INFO", "stats")).string ?? "")
        let commands = RedisInfo(try await redis.send(RedisCommand("INFO", "commandstats")).string ?? "")
        let calls = commands.fields.values.compactMap { line in
            line.split(separator: ",").first { $0.hasPrefix("calls=") }.flatMap { Int($0.dropFirst(6)) }
        }.reduce(0, +)
        return (stats.int("keyspace_hits") ?? 0, stats.int("keyspace_misses") ?? 0, calls)
    }

    @Test func ownReadsAreCountedExactlyAndCostIsBoundedByTheScreen() async throws {
        try await withRedis { redis in
            let probe = RedisPipeline(endpoint: redis.endpoint, name: "probe", options: .background)
            let polling = RedisPipeline(endpoint: redis.endpoint, name: "poller", options: .background)
            defer {
                probe.stop()
                polling.stop()
            }
            // 100 000 cached keys, a few with counters, one route hash, and a stream.
            // Made by a script inside Redis, 10 000 at a time: few replies for the shared event loop
            // to parse, and no single command near the connection's 1 s timeout.
            for first in stride(from: 0, to: 100_000, by: 10_000) {
                _ = try await probe.call(
                    "EVAL",
                    "for i = tonumber(ARGV[1]), tonumber(ARGV[1]) + 9999 do redis.call('SET', 'shop:/products/' .. i .. ':e3b0c442', '{}', 'EX', 300) end",
                    "0", String(first))
            }
            let schema = KeySchema()
            let live = ServerPresence(
                id: "live", url: "http://10.0.0.7:8000", nearCacheMs: 1000, nearCacheActive: true, startedMs: 42)
            _ = try await probe.send([
                RedisCommand("HSET", schema.route("/products/{id}"), "hits", "7", "misses", "3"),
                RedisCommand("SADD", schema.routes, "/products/{id}"),
                RedisCommand("HSET", schema.key("shop:/products/1:e3b0c442"), "hits", "5"),
                RedisCommand("XADD", "cachescope:events", "*", "event", "hit", "key", "shop:/products/1:e3b0c442", "ts_ms", "1"),
                // One server announcing itself, one whose announcement expired (its id is still listed).
                Announcements(schema: schema).announce(live, nowMs: 1)[0],  // its HSET
                RedisCommand("ZADD", schema.servers, "1", "live", "2", "gone"),
            ])
            let poller = RedisPoller(redis: polling, eventsKey: "cachescope:events", prefixes: ["shop"])
            let visible = (1...30).map { "shop:/products/\($0):e3b0c442" } + ["shop:/gone:e3b0c442"]
            _ = try await poller.poll(visibleKeys: visible, nowMs: 0)

            let before = try await keyspace(probe)
            let ownBefore = poller.ownReads
            // Off screen: a page of the table's other keys gets a PTTL, so they expire and sort by TTL too.
            let tracked =
                ((1...300).map { "shop:/products/\($0):e3b0c442" } + ["shop:/gone:e3b0c442", "shop:/also-gone:e3b0c442"]).sorted()
            let result = try await poller.poll(visibleKeys: visible, trackedKeys: tracked, nowMs: 1000)
            let after = try await keyspace(probe)
            let ownAfter = poller.ownReads

            #expect(after.hits - before.hits == ownAfter.hits - ownBefore.hits)
            #expect(after.misses - before.misses == ownAfter.misses - ownBefore.misses)
            // Cost: a handful of fixed commands, one per route, two per listed server (its announcement
            // and its loads in flight), and three per visible key, whatever DBSIZE is (the probe's own
            // two INFO calls are in the count too).
            #expect(after.calls - before.calls <= 7 + 1 + 2 * 2 + 3 * visible.count + PollState.spotCheckPage + 2)
            #expect(result.spotCheckedTTLs.count == PollState.spotCheckPage)
            #expect(Set(result.spotCheckedTTLs.keys).isDisjoint(with: visible))
            #expect(result.spotCheckedTTLs["shop:/also-gone:e3b0c442"] == .some(nil), "sorted first, so in the first page")
            #expect(result.spotCheckedTTLs.values.compactMap { $0 }.allSatisfy { $0 > 290_000 })
            let next = try await poller.poll(visibleKeys: visible, trackedKeys: tracked, nowMs: 2000)
            #expect(Set(next.spotCheckedTTLs.keys).isDisjoint(with: result.spotCheckedTTLs.keys), "the next page follows on")
            #expect(result.servers == [live])
            #expect(result.redis.dbSize >= 100_000)
            #expect(result.discoveredKeys.count <= 2 * PollState.scanPage)
            #expect(result.routeTotals["/products/{id}"]?.hits == 7)
            #expect(result.keyDetails["shop:/products/1:e3b0c442"]?.hits == 5)
            #expect((result.keyDetails["shop:/products/2:e3b0c442"]?.ttlMs ?? 0) > 290_000)
            #expect(result.keyDetails["shop:/gone:e3b0c442"]?.ttlMs == nil)
            // The overview subtracts what INFO (the poll's first command) counted of the dashboard: its
            // earlier polls' reads, not this poll's own.
            #expect(result.redis.dashboardReads == ownBefore.hits + ownBefore.misses)
        }
    }

    /// Other clients' keyspace hits and misses come out exactly, whatever the dashboard reads itself.
    @Test func redisWideNumbersAreOtherClientsExactly() async throws {
        try await withRedis { redis in
            let other = RedisPipeline(endpoint: redis.endpoint, name: "other", options: .background)
            let polling = RedisPipeline(endpoint: redis.endpoint, name: "poller", options: .background)
            defer {
                other.stop()
                polling.stop()
            }
            _ = try await other.send((1...50).map { RedisCommand("SET", "shop:/k/\($0):e3b0c442", "{}", "EX", "300") })
            let poller = RedisPoller(redis: polling, eventsKey: "ev", prefixes: ["shop"])
            let tracked = (1...50).map { "shop:/k/\($0):e3b0c442" }.sorted()
            for round in 0..<3 {
                let hits = Int.random(in: 1...40), misses = Int.random(in: 1...40)
                _ = try await other.send(
                    (0..<hits).map { _ in RedisCommand("GET", "shop:/k/1:e3b0c442") }
                        + (0..<misses).map { _ in RedisCommand("GET", "nope") })
                let before = try await poller.poll(
                    visibleKeys: Array(tracked.prefix(5)), trackedKeys: tracked, nowMs: Int64(round))
                let after = try await poller.poll(
                    visibleKeys: Array(tracked.prefix(5)), trackedKeys: tracked, nowMs: Int64(round) + 1)
                #expect(after.redis.keyspaceHits - before.redis.keyspaceHits == 0, "no other client read between the two polls")
                #expect(after.redis.keyspaceMisses - before.redis.keyspaceMisses == 0)
            }
            let last = try await poller.poll(visibleKeys: [], nowMs: 10)
            let info = RedisInfo(try await other.send(RedisCommand("INFO", "stats")).string ?? "")
            let own = poller.ownReads
            #expect(last.redis.keyspaceHits == (info.int("keyspace_hits") ?? 0) - own.hits)
            #expect(last.redis.keyspaceMisses == (info.int("keyspace_misses") ?? 0) - own.misses)
        }
    }

    /// A Redis restart (a new run_id) is reported once, and the tally of the dashboard's own reads
    /// starts again with Redis's own keyspace numbers.
    @Test func aRestartedRedisIsNoticedAndItsCountsStartAfresh() async throws {
        let port = Binary.freePort()
        let first = EmbeddedRedis(listen: .port(port))
        try await first.start()
        let pipeline = RedisPipeline(endpoint: first.endpoint, name: "poller", options: .init(ioTimeout: .milliseconds(500)))
        defer { pipeline.stop() }
        let poller = RedisPoller(redis: pipeline, eventsKey: "ev", prefixes: ["shop"])
        _ = try await poller.poll(visibleKeys: ["shop:/a:1"], nowMs: 0)
        let before = try await poller.poll(visibleKeys: ["shop:/a:1"], nowMs: 1000)
        #expect(!before.redisRestarted)
        await first.stop()
        let second = EmbeddedRedis(listen: .port(port))
        try await second.start()
        defer { Task { await second.stop() } }
        var after: PollResult?
        await waitUntil(every: .milliseconds(100)) {
            after = try? await poller.poll(visibleKeys: ["shop:/a:1"], nowMs: 2000)
            return after != nil
        }
        let restarted = try #require(after)
        #expect(restarted.redisRestarted)
        #expect(restarted.redis.dashboardReads < before.redis.dashboardReads, "counted afresh: \(restarted.redis.dashboardReads)")
        #expect(try await !poller.poll(visibleKeys: [], nowMs: 3000).redisRestarted, "reported once")
    }

    @Test func eventsAreReadOnceNewestFirstPage() async throws {
        try await withRedis { redis in
            let pipeline = RedisPipeline(endpoint: redis.endpoint, name: "poller", options: .background)
            defer { pipeline.stop() }
            func add(_ key: String) async throws {
                let event = CacheEvent(outcome: .miss, key: key, route: "/products", server: "s1", timestampMs: 5)
                _ = try await pipeline.send(RedisCommand(["XADD", "ev", "*"] + event.streamFields.flatMap { [$0.0, $0.1] }))
            }
            try await add("shop:/products:a")
            let poller = RedisPoller(redis: pipeline, eventsKey: "ev", prefixes: ["shop"])
            #expect(try await poller.poll(visibleKeys: [], nowMs: 0).events.map(\.key) == ["shop:/products:a"])
            try await add("shop:/products:b")
            try await add("shop:/products:c")
            #expect(
                try await poller.poll(visibleKeys: [], nowMs: 0).events.map(\.key) == ["shop:/products:b", "shop:/products:c"])
            #expect(try await poller.poll(visibleKeys: [], nowMs: 0).events.isEmpty)
        }
    }
}
