import CacheCore
import Testing

@testable import Dashboard

/// a: 1 hit 0 misses, 30 s TTL; b: 5/5, 10 s; c: 3/1, 20 s.
private func threeKeys() -> DashboardState {
    var state = makeState()
    var events = [
        event(.fill, "shop:/a:1", route: "/a", ttlMs: 30_000),
        event(.fill, "shop:/b:2", route: "/b", ttlMs: 10_000),
        event(.fill, "shop:/c:3", route: "/c", ttlMs: 20_000),
        event(.hit, "shop:/a:1"), event(.miss, "shop:/c:3"),
    ]
    events += Array(repeating: event(.hit, "shop:/b:2"), count: 5) + Array(repeating: event(.miss, "shop:/b:2"), count: 5)
    events += Array(repeating: event(.hit, "shop:/c:3"), count: 3)
    poll(&state, at: t0, events: events)
    return state
}

private let rowA = "shop:/a:1               /a                 1     0 100%        —    30s ████████"
private let rowB = "shop:/b:2               /b                 5     5  50%        —    10s ████████"
private let rowC = "shop:/c:3               /c                 3     1  75%        —    20s ████████"
private let columnTitles = "ROUTE           HITS  MISS HIT%     SIZE    TTL"

@Test func tableSortsByEachModeInTurn() {
    var state = threeKeys()
    #expect(Array(render(state).lines[6...9]) == ["KEY (3, by TTL)         " + columnTitles, rowB, rowC, rowA])
    press(&state, .char("s"))
    #expect(Array(render(state).lines[6...9]) == ["KEY (3, by hits)        " + columnTitles, rowB, rowC, rowA])
    press(&state, .char("s"))
    #expect(Array(render(state).lines[6...9]) == ["KEY (3, by hit %)       " + columnTitles, rowA, rowC, rowB])
    press(&state, .char("s"))
    #expect(Array(render(state).lines[6...9]) == ["KEY (3, by key)         " + columnTitles, rowA, rowB, rowC])
    press(&state, .char("s"))
    #expect(render(state).lines[6].hasPrefix("KEY (3, by TTL)"))
}

@Test func filterPromptAppliesOnEnterAndEscapeClears() {
    var state = threeKeys()
    press(&state, .char("/"))
    type(&state, "/cx")
    press(&state, .backspace)
    #expect(render(state).lines[23] == "filter keys (Enter apply, Esc clear): /c_")
    #expect(render(state).lines[9] == rowA, "typing alone does not filter yet")
    press(&state, .enter)
    #expect(Array(render(state).lines[6...8]) == ["KEY //c (1, by TTL)     " + columnTitles, rowC, ""])
    press(&state, .char("/"), .char("q"), .escape)
    #expect(render(state).lines[6].hasPrefix("KEY (3, by TTL)"))
    press(&state, .char("/"))
    type(&state, "zzz")
    press(&state, .enter)
    #expect(render(state).lines[7] == "no keys match /zzz")
}

@Test func ttlBarShrinksAsTheKeyCountsDown() {
    var state = makeState()
    poll(&state, at: t0, events: [event(.fill, "shop:/a:1", route: "/a", ttlMs: 80_000)])
    let rowStart = "shop:/a:1               /a                 0     0    —        —"
    #expect(render(state).lines[7] == rowStart + "    80s ████████")
    _ = update(&state, .tick(nowMs: t0 + 40_000))
    #expect(render(state).lines[7] == rowStart + "    40s ████░░░░")
    _ = update(&state, .tick(nowMs: t0 + 72_000))
    #expect(render(state).lines[7] == rowStart + "     8s █░░░░░░░")
    _ = update(&state, .tick(nowMs: t0 + 79_999))
    #expect(render(state).lines[7] == rowStart + "     1s ░░░░░░░░")
    _ = update(&state, .tick(nowMs: t0 + 80_000))
    #expect(render(state).lines[7] == "no cached keys under shop:*")
}

@Test func ttlTotalFallsBackToRouteThenLargestSeen() {
    var state = makeState(routes: [RouteAnnouncement(method: "GET", pattern: "/products", prefix: "shop", ttlMs: 40_000)])
    poll(
        &state, at: t0, events: [event(.fill, "shop:/other:1", route: "/other", ttlMs: 100_000)],
        discovered: ["shop:/products:2", "shop:/categories:3"])
    let details = ["shop:/products:2": KeyDetail(ttlMs: 20_000), "shop:/categories:3": KeyDetail(ttlMs: 25_000)]
    poll(&state, at: t0, details: details)
    let lines = render(state).lines
    #expect(lines[7].hasSuffix("20s ████░░░░"), "route TTL 40 s is the total")
    #expect(lines[8].hasSuffix("25s ██░░░░░░"), "largest TTL seen, 100 s, is the total")
}

@Test func visibleKeysAreTheRowsOnScreen() {
    var state = makeState()
    let names = (10..<40).map { "shop:/k:\($0)" }
    poll(&state, at: t0, discovered: names)
    press(&state, .char("s"), .char("s"), .char("s"))  // by key
    #expect(state.visibleKeys == Array(names[0..<9]))
    press(&state, .end)
    #expect(state.visibleKeys == Array(names[21..<30]))
    press(&state, .pageUp)
    #expect(state.visibleKeys == Array(names[20..<29]))
    press(&state, .home)
    #expect(state.visibleKeys == Array(names[0..<9]))
}
