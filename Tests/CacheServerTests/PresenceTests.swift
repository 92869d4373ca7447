import CacheCore
import CacheProtocol
import CacheScopeKit
import Foundation
import ProductAPI
import RedisClient
import TestSupport
import Testing

/// A server announces where it listens and whether its near cache serves, for `cachescope watch`.
@Suite struct PresenceTests {
    @Test func serverAnnouncesItselfWhileRunningAndLeavesOnShutdown() async throws {
        try await withServer(configure: { $0.cache.nearCacheMaxAge = .milliseconds(1500) }) { server, redis in
            let schema = KeySchema()
            let id = server.server.configuration.cache.serverID
            func announced() async throws -> ServerPresence? {
                Announcements.presence(id: id, from: try await server.redis.send(RedisCommand("HGETALL", schema.server(id))))
            }
            var presence: ServerPresence?
            try await waitUntil(every: .milliseconds(50)) {
                presence = try await announced()
                return presence?.nearCacheActive == true
            }
            #expect(presence?.url == server.baseURL, "the port actually bound, not the 0 asked for")
            #expect(presence?.nearCacheMs == 1500)
            #expect(presence?.nearCacheActive == true)
            let routes = presence?.routes.map { "\($0.method) \($0.prefix):\($0.pattern) \($0.ttlMs)" }
            #expect(
                routes == ["GET shop:/products 120000", "GET shop:/products/{id} 300000", "GET shop:/categories 600000"],
                "the declared routes and TTLs, for watch")
            let ttl = try await server.redis.send(RedisCommand("PTTL", schema.server(id))).int ?? -2
            #expect(ttl > 0 && ttl <= Announcements.lifetimeMs, "an announcement expires unless renewed")
            #expect(try await server.redis.send(RedisCommand("ZSCORE", schema.servers, id)).string != nil)

            await server.stop()
            let probe = RedisPipeline(endpoint: redis.endpoint, name: "after", options: .background)
            defer { probe.stop() }
            #expect(try await probe.send(RedisCommand("EXISTS", schema.server(id))).int == 0)
            #expect(try await probe.send(RedisCommand("ZSCORE", schema.servers, id)) == .null)
        }
    }
}
