import CacheCore
import RedisClient
import Testing

@testable import CacheProtocol

@Suite struct AnnouncementsTests {
    let presence = ServerPresence(
        id: "a1", url: "http://10.1.2.3:8000", nearCacheMs: 1500, nearCacheActive: true, startedMs: 1_700_000_000_123,
        routes: [RouteAnnouncement(method: "GET", pattern: "/products/{id}", prefix: "shop", ttlMs: 300_000)], admin: .token)

    @Test func hashFieldsRoundTripAndAnExpiredHashIsNoServer() {
        let fields = Dictionary(uniqueKeysWithValues: Announcements.hashFields(presence))
        #expect(fields["schema"] == Announcements.version)
        #expect(fields["routes"]?.contains(#""ttl_ms":300000"#) == true, "TTLs in the documented unit and name")
        #expect(Announcements.presence(id: "a1", hashFields: fields) == presence)
        #expect(Announcements.presence(id: "a1", hashFields: [:]) == nil, "HGETALL of an expired hash is empty")
        var off = fields
        off["near_cache_ms"] = "0"
        off["near_cache_active"] = "0"
        #expect(Announcements.presence(id: "a1", hashFields: off)?.nearCacheActive == false)
    }

    @Test func anAnnouncementFromBeforeRoutesWereAnnouncedHasNone() {
        var fields = Dictionary(uniqueKeysWithValues: Announcements.hashFields(presence))
        fields["routes"] = nil
        #expect(Announcements.presence(id: "a1", hashFields: fields)?.routes == [])
        fields["routes"] = "not json"
        #expect(Announcements.presence(id: "a1", hashFields: fields)?.routes == [])
    }

    @Test func theHashIsRenewedWithAnExpiryAndStaleIdsAreDropped() {
        let commands = Announcements(schema: KeySchema()).announce(presence, nowMs: 100_000)
        let words = commands.map { $0.arguments.map { String(decoding: $0, as: UTF8.self) } }
        #expect(words[1] == ["PEXPIRE", "cachescope:server:a1", String(Announcements.lifetimeMs)])
        #expect(words[2] == ["ZADD", "cachescope:servers", "100000", "a1"])
        #expect(words[3] == ["ZREMRANGEBYSCORE", "cachescope:servers", "-inf", "(40000"])
    }
}
