import CacheCore
import Testing

@testable import Dashboard

private func ttlText(_ state: DashboardState, row: Int = 7) -> String {
    String(render(state).lines[row].dropFirst(65).prefix(6).drop { $0 == " " })
}

@Test func ttlCountsDownWithTicksAndKeyDropsOutAtExpiry() {
    var state = makeState()
    poll(&state, at: t0, events: [event(.fill, "shop:/a:1", ttlMs: 30_000, at: t0 - 1_000)])
    #expect(ttlText(state) == "29s")
    _ = update(&state, .tick(nowMs: t0 + 10_000))
    #expect(ttlText(state) == "19s")
    _ = update(&state, .tick(nowMs: t0 + 28_999))
    #expect(ttlText(state) == "1s")
    _ = update(&state, .tick(nowMs: t0 + 29_000))
    #expect(state.visibleKeys.isEmpty)
}

@Test func keyDetailsCorrectTheCountdown() {
    var state = makeState()
    poll(&state, at: t0, events: [event(.fill, "shop:/a:1", ttlMs: 30_000)], discovered: ["shop:/b:2"])
    #expect(ttlText(state, row: 8) == "—", "a discovered key's TTL is unknown until Redis answers")
    #expect(state.visibleKeys == ["shop:/a:1", "shop:/b:2"])
    poll(
        &state, at: t0 + 5_000,
        details: [
            "shop:/a:1": KeyDetail(ttlMs: 60_000, sizeBytes: 2048, hits: 7, misses: 2, fills: 1),
            "shop:/b:2": KeyDetail(ttlMs: 10_000),
        ])
    #expect(render(state).lines[7] == "shop:/b:2               /b                 0     0    —        —    10s ███░░░░░")
    #expect(render(state).lines[8] == "shop:/a:1               /a                 7     2  78%   2.0KiB    60s ████████")
    _ = update(&state, .tick(nowMs: t0 + 35_000))
    #expect(state.visibleKeys == ["shop:/a:1"], "b expired at +15 s; a lives past its first 30 s")
    #expect(ttlText(state) == "30s")
    poll(&state, at: t0 + 36_000, details: ["shop:/a:1": KeyDetail(ttlMs: nil)])
    #expect(state.visibleKeys.isEmpty, "Redis says the key is gone")
}

@Test func invalidateEventsRemoveExactKeysAndGlobMatches() {
    var state = makeState()
    let keys = ["shop:/products:1", "shop:/products:2", "shop:/products/5:3", "shop:/categories:4"]
    poll(&state, at: t0, discovered: keys)
    poll(&state, at: t0 + 1_000, events: [event(.invalidate, "shop:/products:2", at: t0 + 500)])
    #expect(Set(state.visibleKeys) == ["shop:/products:1", "shop:/products/5:3", "shop:/categories:4"])
    poll(&state, at: t0 + 2_000, events: [event(.invalidate, "shop:/products*", at: t0 + 1_500)])
    #expect(state.visibleKeys == ["shop:/categories:4"])
    poll(&state, at: t0 + 3_000, discovered: keys)
    #expect(state.visibleKeys == ["shop:/categories:4"], "a SCAN step from before the delete does not bring keys back")
    poll(&state, at: t0 + 4_000, events: [event(.fill, "shop:/products:1", ttlMs: 9_000, at: t0 + 3_500)])
    #expect(Set(state.visibleKeys) == ["shop:/products:1", "shop:/categories:4"], "a later fill does")
}

@Test func keysGetRoutesFromEventsOrAnnouncedRoutesOrTheirPath() {
    var state = makeState()
    poll(
        &state, at: t0, events: [event(.hit, "shop:/x:1", route: "/custom"), event(.hit, "other:/products:1")],
        discovered: ["shop:/products/42:abcdef12", "shop:/products/42/x:abcdef12", "shop:/categories:0"])
    press(&state, .char("s"), .char("s"), .char("s"))  // by key
    let routes = render(state).lines[7...10].map { String($0.dropFirst(24).prefix(14)).trimmingSuffix() }
    #expect(routes == ["/categories", "/products/42/x", "/products/{id}", "/custom"], "keys outside the prefixes are not listed")
}

@Test func routesAnnouncedLaterNameKeysSeenBefore() {
    var state = makeState(routes: [])
    poll(&state, at: t0, discovered: ["shop:/products/42:abcdef12"])
    #expect(state.keys.keys["shop:/products/42:abcdef12"]?.route == "/products/42")
    poll(&state, at: t0 + 1_000, servers: [ServerPresence(id: "s1", url: "http://h:1", startedMs: t0, routes: catalogueRoutes)])
    #expect(state.keys.keys["shop:/products/42:abcdef12"]?.route == "/products/{id}")
    #expect(state.routeTTLms["/products/{id}"] == 300_000)
}

@Test func serversAreThoseAnnouncingThemselves() {
    var state = makeState()
    poll(
        &state, at: t0, events: [event(.hit, "shop:/a:1", server: "api-1"), event(.hit, "shop:/a:1", server: "api-9")],
        servers: [presence("api-1"), presence("api-2", nearCacheMs: 1000, active: false)])
    #expect(render(state).lines[1].contains("servers 2 (near 0/1)"), "events name servers; only announcements count them")
    poll(&state, at: t0 + 1000, servers: [presence("api-1"), presence("api-2", nearCacheMs: 1000, active: true)])
    #expect(render(state).lines[1].contains("servers 2 (near 1)"))
    poll(&state, at: t0 + 2000, servers: [presence("api-1")])
    #expect(render(state).lines[1].contains("servers 1  mode"), "a server that stopped announcing leaves")
}

extension String {
    func trimmingSuffix() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
