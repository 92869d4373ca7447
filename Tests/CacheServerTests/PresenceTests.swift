import CacheCore
import CacheServer
import Foundation
import RedisClient
import Testing
import TestSupport

/// A server announces where it listens and whether its near cache serves, for `cachescope watch`.
@Suite struct PresenceTests {
    @Test func serverAnnouncesItselfWhileRunningAndLeavesOnShutdown() async throws {
        try await withServer(configure: { $0.nearCacheMaxAge = .milliseconds(1500) }) { server, redis in
            let schema = CounterSchema()
            let id = server.server.configuration.serverID
            func announced() async throws -> ServerPresence? {
                let reply = try await server.redis.send(RedisCommand("HGETALL", schema.server(id)))
                let flat = reply.elements.compactMap(\.string)
                let fields = Dictionary(uniqueKeysWithValues: stride(from: 0, to: flat.count - 1, by: 2).map { (flat[$0], flat[$0 + 1]) })
                return ServerPresence(id: id, hashFields: fields)
            }
            let deadline = ContinuousClock.now + .seconds(5)
            var presence = try await announced()
            while presence?.nearCacheActive != true && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                presence = try await announced()
            }
            #expect(presence?.url == server.baseURL, "the port actually bound, not the 0 asked for")
            #expect(presence?.nearCacheMs == 1500)
            #expect(presence?.nearCacheActive == true)
            let ttl = try await server.redis.send(RedisCommand("PTTL", schema.server(id))).int ?? -2
            #expect(ttl > 0 && ttl <= ServerPresence.lifetimeMs, "an announcement expires unless renewed")
            #expect(try await server.redis.send(RedisCommand("ZSCORE", schema.servers, id)).string != nil)

            await server.stop()
            let probe = RedisPipeline(endpoint: redis.endpoint, name: "after", options: .background)
            defer { probe.stop() }
            #expect(try await probe.send(RedisCommand("EXISTS", schema.server(id))).int == 0)
            #expect(try await probe.send(RedisCommand("ZSCORE", schema.servers, id)) == .null)
        }
    }
}
