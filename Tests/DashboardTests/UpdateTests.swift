import CacheCore
import Testing

@testable import Dashboard

/// Three discovered keys, sorted by key so the row order is known.
private func stateWithKeys() -> DashboardState {
    var state = makeState()
    poll(&state, at: t0, discovered: ["shop:/a:1", "shop:/b:2", "shop:/c:3"])
    press(&state, .char("s"), .char("s"), .char("s"))
    return state
}

@Test func simpleHotkeysMapToTheirEffects() {
    var state = stateWithKeys()
    #expect(press(&state, .char("q")) == [.quit])
    #expect(press(&state, .char("L")) == [.toggleLoad])
    #expect(press(&state, .char("W")) == [.warmAll])
    #expect(press(&state, .char("w")) == [.warm(key: "shop:/a:1")])
    #expect(press(&state, .char("j"), .char("w")) == [.warm(key: "shop:/b:2")])
    #expect(press(&state, .down, .char("w")) == [.warm(key: "shop:/c:3")])
    #expect(press(&state, .down, .char("w")) == [.warm(key: "shop:/c:3")], "the selection stops at the last row")
    #expect(press(&state, .char("k"), .up, .char("w")) == [.warm(key: "shop:/a:1")])
    #expect(press(&state, .pageDown, .char("w")) == [.warm(key: "shop:/c:3")])
    #expect(press(&state, .char("x"), .enter).isEmpty)
}

@Test func invalidateRemovesTheSelectedKeyAtOnce() {
    var state = stateWithKeys()
    #expect(press(&state, .char("j"), .char("i")) == [.invalidate(key: "shop:/b:2")])
    #expect(state.visibleKeys == ["shop:/a:1", "shop:/c:3"])
    #expect(render(state).lines[23] == "invalidating shop:/b:2…")
    #expect(press(&state, .char("w")) == [.warm(key: "shop:/c:3")], "the selection stays in place")
    _ = update(&state, .actionFinished("invalidated 1 key"))
    #expect(render(state).lines[23] == "invalidated 1 key")
}

@Test func actionsNeedASelectedKey() {
    var state = makeState()
    #expect(press(&state, .char("i"), .char("w")).isEmpty)
}

@Test func patternInvalidationAsksForConfirmation() {
    var state = stateWithKeys()
    press(&state, .char("I"))
    type(&state, "shop:/[ab]*")
    #expect(render(state).lines[23] == "invalidate keys matching glob (Enter count, Esc cancel): shop:/[ab]*_")
    #expect(press(&state, .enter) == [.countPattern("shop:/[ab]*")])
    #expect(render(state).lines[23] == "counting keys matching shop:/[ab]*…")
    _ = update(&state, .patternCount(pattern: "other", count: 9))
    #expect(press(&state, .char("y")).isEmpty, "no confirmation before the count for this pattern arrives")
    _ = update(&state, .patternCount(pattern: "shop:/[ab]*", count: 2))
    #expect(render(state).lines[23] == "2 keys match shop:/[ab]* — invalidate? y/n")
    #expect(press(&state, .char("q")).isEmpty, "keys go to the prompt while it is open")
    #expect(press(&state, .char("y")) == [.invalidatePattern("shop:/[ab]*")])
    #expect(state.visibleKeys == ["shop:/c:3"])
}

@Test func patternInvalidationCanBeDeclinedOrCancelled() {
    var state = stateWithKeys()
    press(&state, .char("I"))
    type(&state, "shop:*")
    press(&state, .enter)
    _ = update(&state, .patternCount(pattern: "shop:*", count: 3))
    #expect(press(&state, .char("n")).isEmpty)
    #expect(render(state).lines[23] == "invalidation cancelled")
    press(&state, .char("I"))
    type(&state, "shop:*")
    press(&state, .enter)
    _ = update(&state, .patternCount(pattern: "shop:*", count: 3))
    #expect(press(&state, .escape, .char("y")).isEmpty)
    #expect(press(&state, .char("I"), .enter).isEmpty, "an empty pattern asks nothing")
    #expect(state.visibleKeys.count == 3)
    press(&state, .char("I"))
    type(&state, "*")
    #expect(press(&state, .enter).isEmpty, "a pattern reaching beyond the cache's keys is refused")
    #expect(render(state).lines[23] == "not invalidated: the pattern must start with shop:")
}

@Test func plusAndMinusStepTheRefreshInterval() {
    var state = makeState()
    #expect(press(&state, .char("+")) == [.setRefreshInterval(ms: 2000)])
    #expect(press(&state, .char("+")) == [.setRefreshInterval(ms: 5000)])
    #expect(press(&state, .char("+")).isEmpty)
    #expect(render(state).lines[1].hasSuffix("refresh 5s"))
    #expect(
        press(&state, .char("-"), .char("-"), .char("-")) == [
            .setRefreshInterval(ms: 2000), .setRefreshInterval(ms: 1000),
            .setRefreshInterval(ms: 500),
        ])
    #expect(press(&state, .char("-")) == [.setRefreshInterval(ms: 250)])
    #expect(press(&state, .char("-")).isEmpty)
    #expect(render(state).lines[1].hasSuffix("refresh 250ms"))
}

@Test func pauseFreezesTheDisplayedData() {
    var state = stateWithKeys()
    let before = render(state)
    #expect(press(&state, .char("p")).isEmpty)
    poll(&state, at: t0 + 1_000, events: [event(.fill, "shop:/d:4", ttlMs: 5_000, at: t0 + 500)], discovered: ["shop:/e:5"])
    _ = update(&state, .tick(nowMs: t0 + 2_000))
    let paused = render(state).lines
    #expect(paused[1].hasSuffix("PAUSED"))
    #expect(Array(paused[2...]) == Array(before.lines[2...]))
    press(&state, .char("p"))
    #expect(!render(state).lines[1].contains("PAUSED"))
    poll(&state, at: t0 + 3_000, discovered: ["shop:/e:5"])
    #expect(state.visibleKeys.contains("shop:/e:5"))
}

@Test func loadStatusShowsOnTheStatusLine() {
    var state = makeState()
    _ = update(&state, .actionFinished("warmed 3 requests"))
    _ = update(&state, .loadStatus("20 req/s, 0 errors"))
    #expect(render(state).lines[23] == "warmed 3 requests  │  20 req/s, 0 errors", "the last action first: the load line is long")
    _ = update(&state, .loadStatus(nil))
    #expect(render(state).lines[23] == "warmed 3 requests")
}

/// `O` switches the servers' store failure on and off, and the footer says while it is on.
@Test func originFailureHotkeyTogglesAndIsShown() {
    var state = stateWithKeys()
    #expect(press(&state, .char("O")) == [.failOrigin(true)])
    var footer = render(state).lines[state.layout!.hotkeysY]
    #expect(footer.hasPrefix("STORE READS FAIL (O to restore)"), "\(footer)")
    #expect(press(&state, .char("O")) == [.failOrigin(false)])
    footer = render(state).lines[state.layout!.hotkeysY]
    #expect(footer.contains("O:origin"), "\(footer)")
    #expect(helpLines(for: .keys).contains { $0.hasPrefix("O ") })
}

/// `--readonly`: the keys that would change the cache or a server send nothing and say why.
@Test func readOnlyRefusesEveryChangingKey() {
    var state = DashboardState(
        config: DashboardConfig(mode: "attached", prefixes: ["shop"], refreshMs: 1000, readOnly: true), width: 80,
        height: 24, nowMs: t0)
    poll(&state, at: t0, events: [event(.fill, "shop:/a:1", ttlMs: 60_000)])
    for key in ["i", "I", "w", "W", "L", "O"] {
        #expect(press(&state, .char(Character(key))).isEmpty, "\(key)")
        #expect(state.prompt == nil)
        #expect(render(state).lines[23].hasPrefix("read-only"), "\(key)")
    }
    #expect(state.keys.keys["shop:/a:1"] != nil, "i did not drop the key")
    #expect(press(&state, .char("q")) == [.quit], "reading keys still work")
}

/// `Enter` opens the selected key's detail in place of the log; the poll fills it; `Esc` closes it.
@Test func enterOpensTheDetailPaneAndEscapeClosesIt() {
    var state = stateWithKeys()
    press(&state, .enter)
    #expect(state.inspected == "shop:/a:1")
    #expect(render(state).lines[16].hasPrefix("─ shop:/a:1 (Esc closes) ─"))
    #expect(render(state).lines[17] == "reading shop:/a:1 from Redis…")
    var counts = RouteCounts()
    counts.hits = 9
    counts.misses = 3
    counts[.counting(miss: .cold)] = 1
    counts[.counting(miss: .invalidated)] = 2
    counts.fills = 3
    let inspection = KeyInspection(
        key: "shop:/a:1", request: "/a?x=1", ttlMs: 25_000, sizeBytes: 2048, entityTag: "\"0123456789abcdef\"",
        counts: counts, lastEvent: "invalidated", reason: "POST /products", loadUs: 201_000, tags: ["t1"],
        bodyLines: ["{", "  \"count\" : 1", "}"])
    _ = update(&state, .poll(PollResult(nowMs: t0, redis: overview, inspection: inspection)))
    let lines = render(state).lines
    #expect(lines[17].hasPrefix("request   /a?x=1   route /a"))
    #expect(lines[18].contains("25s left") && lines[18].contains("2.0KiB") && lines[18].contains("\"0123456789abcdef\""))
    #expect(lines[19] == "fills     3   last load 201ms")
    #expect(lines[20] == "lookups   hits 9   misses 3 (cold 1, invalidated 2)")
    #expect(lines[21] == "last      invalidated by POST /products")
    press(&state, .escape)
    #expect(state.inspected == nil)
    #expect(render(state).lines[16].hasPrefix("TIME (UTC)"), "the event log is back")
}
