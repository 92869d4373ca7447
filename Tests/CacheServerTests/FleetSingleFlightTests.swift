import CacheCore
import Foundation
import ProductAPI
import RedisClient
import TestSupport
import Testing

@testable import CacheScopeKit

/// Concurrent misses of one key across servers that share a Redis make one origin fetch: one
/// server takes the key's fill lease and loads, the others wait for its fill.
@Suite struct FleetSingleFlightTests {
    @Test func sixtyColdReadsOverThreeServersMakeOneOriginFetch() async throws {
        try await withRedis { redis in
            let database = TestServer.temporaryDatabase()
            var servers: [TestServer] = []
            for id in ["a", "b", "c"] {
                servers.append(
                    try await TestServer.start(redis: redis.endpoint, store: .sqlite(path: database)) {
                        $0.originDelay = .milliseconds(500)
                        $0.cache.serverID = id
                    })
            }
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for index in 0..<60 {
                    let server = servers[index % 3]
                    group.addTask {
                        let response = try await server.get("/categories")
                        return (response.status, response.header("X-Cache"))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0.0 == 200 && $0.1 == "MISS" })
            let counts = servers.map { $0.server.cache.recorder.totals["/categories"] ?? RouteCounts() }
            #expect(counts.map(\.originFetches).reduce(0, +) == 1, "one load for the fleet: \(counts.map(\.originFetches))")
            #expect(counts.map(\.coalesced).reduce(0, +) == 59)
            #expect(counts.map(\.misses).reduce(0, +) == 60)
            for server in servers { await server.stop() }
        }
    }

    @Test func aLoadThatStoresNothingReleasesTheOthersAtOnce() async throws {
        try await withRedis { redis in
            let database = TestServer.temporaryDatabase()
            let a = try await TestServer.start(redis: redis.endpoint, store: .sqlite(path: database)) {
                $0.originDelay = .seconds(1)
                $0.routeOptions.negativeTTL = .zero  // a 404 is not stored: the waiters find no fill
                $0.cache.originTimeout = .seconds(5)  // a lease of 10 s
            }
            let b = try await TestServer.start(redis: redis.endpoint, store: .sqlite(path: database)) {
                $0.routeOptions.negativeTTL = .zero
                $0.cache.originTimeout = .seconds(5)
            }
            let first = Task { try await a.get("/products/99") }
            try await waitForLoadInFlight(a)
            let started = ContinuousClock.now
            let second = try await b.get("/products/99")
            #expect(second.status == 404)
            #expect(ContinuousClock.now - started < .seconds(5), "released when the lease went, not at its end (10 s)")
            #expect(try await first.value.status == 404)
            await a.stop()
            await b.stop()
        }
    }
}
