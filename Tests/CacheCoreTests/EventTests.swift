import Testing

@testable import CacheCore

@Suite struct EventTests {
    @Test func streamFieldsRoundTrip() {
        let event = CacheEvent(
            outcome: .fill, key: "shop:/products:e3b0c442", route: "/products", ttlMs: 120_000,
            latencyUs: 201_345, request: "/products?featured=true", server: "a1", timestampMs: 1_700_000_000_123)
        let fields = Dictionary(uniqueKeysWithValues: event.streamFields)
        #expect(fields["event"] == "fill")
        #expect(fields["ttl_ms"] == "120000")
        #expect(fields["request"] == "/products?featured=true")
        #expect(CacheEvent(streamFields: fields) == event)
        #expect(CacheEvent(streamFields: ["event": "nonsense", "key": "k", "ts_ms": "1"]) == nil)
    }

    @Test func aMissCarriesItsCauseAndReason() {
        let event = CacheEvent(
            outcome: .miss, key: "shop:/products:e3b0c442", route: "/products", cause: "invalidated",
            reason: "POST /products", server: "a1", timestampMs: 1)
        let fields = Dictionary(uniqueKeysWithValues: event.streamFields)
        #expect(fields["cause"] == "invalidated")
        #expect(fields["reason"] == "POST /products")
        #expect(CacheEvent(streamFields: fields) == event)
        #expect(CacheEvent(streamFields: fields)?.missCause == .invalidated)
        #expect(
            CacheEvent(outcome: .bypass, key: "k", route: "/r", cause: "redis_down", server: "a", timestampMs: 1).bypassCause
                == .redisDown)
    }

    @Test func batchCountsEveryOutcome() {
        var batch = EventBatch()
        let outcomes: [CacheOutcome] = [.hit, .hit, .miss, .coalesced, .fill, .bypass, .warm, .invalidate]
        for outcome in outcomes {
            batch.record(CacheEvent(outcome: outcome, key: "k", route: "/r", server: "s", timestampMs: 0))
        }
        let route = batch.routes["/r"]!
        #expect(route.hits == 2)
        #expect(route.misses == 2)  // the leader and the coalesced one both answered MISS
        #expect(route.coalesced == 1)
        #expect(route.originFetches == 2)  // the miss and the warm-up
        #expect(route.fills == 2)
        #expect(route.bypasses == 1)
        #expect(route.hitRate == 50)
        #expect(batch.keys["k"]!.bypasses == 0)
        #expect(batch.events.count == outcomes.count)
    }

    @Test func unpublishedCountersAreKeptAndEventsCapped() {
        var failed = EventBatch(eventLimit: 3)
        for _ in 0..<5 { failed.record(CacheEvent(outcome: .hit, key: "k", route: "/r", server: "s", timestampMs: 0)) }
        #expect(failed.events.count == 3)
        #expect(failed.droppedEvents == 2)
        var next = EventBatch(eventLimit: 3)
        next.record(CacheEvent(outcome: .miss, key: "k", route: "/r", server: "s", timestampMs: 1))
        next.merge(unpublished: failed)
        #expect(next.routes["/r"]!.hits == 5)
        #expect(next.routes["/r"]!.misses == 1)
        #expect(next.events.count == 3)
        #expect(next.events.last?.outcome == .miss)
        #expect(next.droppedEvents == 3)
    }
}

@Suite struct ServerPresenceTests {
    /// Admin calls go to servers that take them from here, longest-running first.
    @Test func adminCandidatesSkipServersThatWouldRefuse() {
        let servers = [
            ServerPresence(id: "young", url: "http://y", startedMs: 30, admin: .open),
            ServerPresence(id: "closed", url: "http://c", startedMs: 10, admin: .closed),
            ServerPresence(id: "guarded", url: "http://g", startedMs: 20, admin: .token),
            ServerPresence(id: "old", url: "http://o", startedMs: 5, admin: .open),
        ]
        #expect(ServerPresence.adminCandidates(servers, haveToken: false).map(\.id) == ["old", "young"])
        #expect(ServerPresence.adminCandidates(servers, haveToken: true).map(\.id) == ["old", "guarded", "young"])
    }

    @Test func announcedURLIsReachable() {
        #expect(ServerPresence.url(host: "127.0.0.1", port: 8000, wildcardHost: "box") == "http://127.0.0.1:8000")
        #expect(ServerPresence.url(host: "0.0.0.0", port: 8001, wildcardHost: "box") == "http://box:8001")
        #expect(ServerPresence.url(host: "::", port: 8002, wildcardHost: "box") == "http://box:8002")
        #expect(ServerPresence.url(host: "::1", port: 8003, wildcardHost: "box") == "http://[::1]:8003")
    }
}
