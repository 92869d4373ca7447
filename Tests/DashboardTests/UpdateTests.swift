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
