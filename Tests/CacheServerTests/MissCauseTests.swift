import CacheCore
import CacheProtocol
import Foundation
import ProductAPI
import RedisClient
import Synchronization
import TestSupport
import Testing

@testable import CacheScopeKit

/// Set once by one task, read by another.
private final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}

/// Every miss says why it missed, from the key's history in a real Redis, and the per-cause
/// counts add up to the misses.
@Suite struct MissCauseTests {
    /// Short TTLs and no grace or negative caching, so that every cause can be made in seconds.
    private static func quick(_ configuration: inout ServerConfiguration) {
        configuration.ttls = ["/products/{id}": .milliseconds(300), "/products": .seconds(60)]
        configuration.routeOptions.grace = .zero
        configuration.routeOptions.negativeTTL = .zero
    }

    @Test func eachMissNamesItsCause() async throws {
        try await withServer(configure: {
            Self.quick(&$0)
            $0.originDelay = .milliseconds(300)
        }) { server, _ in
            func key(_ target: String) throws -> String { try server.server.cache.routes.resolve(target: target).key.description }
            _ = try await server.get("/products/1")  // cold
            try await Task.sleep(for: .milliseconds(400))
            _ = try await server.get("/products/1")  // expired
            _ = try await server.get("/products")  // cold
            #expect(try await server.send("POST", "/products", json: #"{"name": "New", "price": 1}"#).status == 201)
            _ = try await server.get("/products")  // invalidated by the POST
            _ = try await server.get("/products/2")  // cold
            _ = try await server.redis.send(RedisCommand("DEL", try key("/products/2")))
            _ = try await server.get("/products/2")  // evicted: gone before its TTL, by no invalidation of ours
            _ = try await server.get("/products/99")  // cold: a 404, not stored
            _ = try await server.get("/products/99")  // uncacheable
            // An invalidation during a load: the guard refuses the fill, and the next miss says so.
            async let slow = server.get("/products/3")  // cold
            try await Task.sleep(for: .milliseconds(100))
            let invalidated = try await server.send("POST", "/cache/invalidate", json: #"{"pattern": "shop:/products/3:*"}"#)
            #expect(invalidated.status == 200)
            #expect(try await slow.header("X-Cache") == "MISS")
            _ = try await server.get("/products/3")  // refused

            var misses: [CacheEvent] = []
            await waitUntil(timeout: .seconds(10)) {
                misses = ((try? await server.publishedEvents()) ?? []).filter { $0.outcome == .miss }
                return misses.count >= 10
            }
            #expect(
                misses.map { "\($0.key) \($0.cause ?? "-")" } == [
                    "\(try key("/products/1")) cold", "\(try key("/products/1")) expired",
                    "\(try key("/products")) cold", "\(try key("/products")) invalidated",
                    "\(try key("/products/2")) cold", "\(try key("/products/2")) evicted",
                    "\(try key("/products/99")) cold", "\(try key("/products/99")) uncacheable",
                    "\(try key("/products/3")) cold", "\(try key("/products/3")) refused",
                ])
            #expect(misses.first { $0.cause == "invalidated" }?.reason == "POST /products", "it names the write")
            let events = try await server.publishedEvents()
            let refusals = events.filter { $0.outcome == .refused }
            #expect(refusals.map(\.key) == [try key("/products/3")], "the refused fill is an event of its own")
            #expect(refusals.first?.reason == "POST /cache/invalidate", "it names the invalidation that made the load stale")

            let single = try await server.routeStats("/products/{id}")
            let causes = try #require(single["misses_by_cause"] as? [String: Int])
            #expect(
                causes == ["cold": 4, "expired": 1, "invalidated": 0, "evicted": 1, "refused": 1, "uncacheable": 1])
            #expect(single["refused"] as? Int == 1)
            let listing = try await server.routeStats("/products")
            #expect((listing["misses_by_cause"] as? [String: Int])?["invalidated"] == 1)
        }
    }

    /// Under concurrent reads, writes and expiries the causes add up to the misses, per route, both
    /// in this server's `/cache/stats` and in the counters shared in Redis.
    @Test func causesAddUpToMissesUnderAMixedLoad() async throws {
        try await withServer(configure: {
            Self.quick(&$0)
            $0.originDelay = .milliseconds(30)
        }) { server, _ in
            let readersDone = Flag()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { readersDone.set() }
                    try await withThrowingTaskGroup(of: Void.self) { readers in
                        for reader in 0..<12 {
                            readers.addTask {
                                for index in reader..<(reader + 40) {
                                    let target = ["/products/\(index % 8 + 1)", "/products", "/products?featured=true"][index % 3]
                                    _ = try await server.get(target)
                                    // Now and then long enough for the 300 ms entries to expire.
                                    if index % 10 == 0 { try await Task.sleep(for: .milliseconds(350)) }
                                }
                            }
                        }
                        try await readers.waitForAll()
                    }
                }
                group.addTask {
                    var id = 6
                    while !readersDone.isSet {
                        let created = try await server.send("POST", "/products", json: #"{"name": "N", "price": 2}"#)
                        id = created.json["id"] as? Int ?? id
                        try await Task.sleep(for: .milliseconds(150))
                        _ = try await server.send("DELETE", "/products/\(id)")
                    }
                }
                try await group.waitForAll()
            }
            let routes = try #require(try await server.get("/cache/stats").json["routes"] as? [String: [String: Any]])
            var seen: Set<String> = []
            for (route, counts) in routes {
                let causes = try #require(counts["misses_by_cause"] as? [String: Int])
                #expect(causes.values.reduce(0, +) == counts["misses"] as? Int, "\(route): \(counts)")
                seen.formUnion(causes.filter { $0.value > 0 }.keys)
            }
            #expect(seen.count >= 3 && seen.contains("cold"), "a mixed load misses for several reasons: \(seen)")

            // The shared counters, once published, add up the same way.
            let hash = KeySchema().route("/products/{id}")
            await waitUntil(timeout: .seconds(5)) {
                let shared = CounterUpdates.counts(from: (try? await server.redis.send(RedisCommand("HGETALL", hash))) ?? .null)
                return shared.misses == routes["/products/{id}"]?["misses"] as? Int
            }
            let shared = CounterUpdates.counts(from: try await server.redis.send(RedisCommand("HGETALL", hash)))
            #expect(shared.misses > 0)
            #expect(shared.missesByCause.values.reduce(0, +) == shared.misses)
        }
    }

    /// Redis out of memory under `noeviction` refuses writes: invalidations wait and requests bypass.
    /// That is named (`redis_oom`) in `/health`, `/cache/stats` and the bypass causes, and passes.
    @Test func redisOutOfMemoryIsNamedAndServiceGoesOn() async throws {
        try await withServer(configure: Self.quick) { server, _ in
            _ = try await server.redis.send(RedisCommand("CONFIG", "SET", "maxmemory-policy", "noeviction"))
            _ = try await server.redis.send(RedisCommand("CONFIG", "SET", "maxmemory", "1"))
            let write = try await server.send("POST", "/products", json: #"{"name": "Full", "price": 3}"#)
            #expect(write.status == 201, "the write is the store's; its invalidation waits for Redis")
            let read = try await server.get("/products")
            #expect(read.status == 200)
            #expect(read.header("X-Cache") == "BYPASS")
            #expect(try await server.get("/health").json["redis_oom"] as? Bool == true)
            let stats = try await server.get("/cache/stats").json
            #expect(stats["redis_oom"] as? Bool == true)
            let routes = stats["routes"] as? [String: [String: Any]]
            #expect((routes?["/products"]?["bypasses_by_cause"] as? [String: Int])?["redis_oom"] == 1)

            _ = try await server.redis.send(RedisCommand("CONFIG", "SET", "maxmemory", "0"))
            await waitUntil(timeout: .seconds(10)) {
                let stats = try? await server.get("/cache/stats").json
                return stats?["redis_oom"] as? Bool == false && stats?["pending_invalidations"] as? Int == 0
            }
            #expect(try await server.get("/health").json["redis_oom"] as? Bool == false, "it clears itself")
            #expect(try await server.get("/products").header("X-Cache") == "MISS")
        }
    }

    /// With `--early-refresh`, a hit close to its entry's end (as XFetch measures it) refreshes it
    /// in the background: a fill without a miss. Without it, the entry is left to expire.
    @Test(arguments: [true, false]) func earlyRefreshRefreshesAHotKeyBeforeItExpires(enabled: Bool) async throws {
        try await withServer(configure: {
            $0.ttls = ["/products/{id}": .seconds(2)]
            $0.originDelay = .milliseconds(50)
            // beta 10⁶ × a 50 ms load: a lead of hours, so a hit within a 2 s TTL refreshes unless
            // the draw is above 0.99996.
            $0.routeOptions.earlyRefresh = enabled ? EarlyRefresh(beta: 1_000_000) : nil
        }) { server, _ in
            #expect(try await server.get("/products/1").header("X-Cache") == "MISS")
            let key = try server.server.cache.routes.resolve(target: "/products/1").key.description
            let loadTime = try await server.redis.send(KeyHistory.readLoadTime(of: key, schema: KeySchema()))
            #expect((KeyHistory.loadTime(from: loadTime) ?? .zero) >= .milliseconds(50), "the fill kept its load time")
            #expect(try await server.get("/products/1").header("X-Cache") == "HIT")
            await waitUntil(timeout: .seconds(3)) {
                (try? await server.routeStats("/products/{id}"))?["fills"] as? Int == 2
            }
            let counts = try await server.routeStats("/products/{id}")
            #expect(counts["fills"] as? Int == (enabled ? 2 : 1))
            #expect(counts["misses"] as? Int == 1, "refreshed without a miss")
        }
    }

    /// While a load is in flight the server publishes it, with the requests waiting on it, and
    /// takes it back when it ends: what the dashboard's Loads view shows.
    @Test func loadsInFlightArePublishedWithTheirWaiters() async throws {
        try await withServer(configure: { $0.originDelay = .seconds(1) }) { server, _ in
            let hash = KeySchema().loads(server.server.configuration.cache.serverID)
            let key = try server.server.cache.routes.resolve(target: "/products/2").key.description
            async let answers = withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<5 { group.addTask { try await server.get("/products/2").status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            var loads: [InFlightLoad] = []
            await waitUntil(timeout: .seconds(5)) {
                let reply = (try? await server.redis.send(RedisCommand("HGETALL", hash))) ?? .null
                loads = InFlightLoads.loads(from: reply, server: "s")
                return loads.first?.waiters == 4
            }
            #expect(loads.map(\.key) == [key])
            #expect(loads.first?.waiters == 4, "one loads, four wait")
            let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
            #expect(loads.first.map { nowMs - $0.startedMs } ?? -1 >= 0)
            #expect(try await answers == Array(repeating: 200, count: 5))
            await waitUntil(timeout: .seconds(5)) {
                (try? await server.redis.send(RedisCommand("EXISTS", hash)))?.int == 0
            }
            #expect(try await server.redis.send(RedisCommand("EXISTS", hash)).int == 0, "taken back when it ended")
        }
    }
}
