import LoadGenerator
import TestSupport
import Testing

/// `cachescope load --url A --url B`: the requests are spread over the servers in turn.
@Suite struct LoadSpreadTests {
    @Test func aLoadOverTwoServersReachesBoth() async throws {
        try await withServer { a, redis in
            let b = try await TestServer.start(redis: redis.endpoint, store: a.server.configuration.store)
            let runner = LoadRunner(baseURLs: [a.baseURL, b.baseURL], rps: 100, concurrency: 4, writeRatio: 0)
            let stats = LoadStats()
            await runner.run(for: .seconds(1), stats: stats)
            let served = [a, b].map { server in
                server.server.cache.recorder.totals.values.reduce(0) { $0 + $1.hits + $1.misses + $1.coalesced + $1.stale }
            }
            #expect(served.allSatisfy { $0 > 20 }, "each server answered its share: \(served)")
            await b.stop()
        }
    }
}
