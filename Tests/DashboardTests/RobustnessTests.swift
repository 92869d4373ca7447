import CacheCore
import Testing

@testable import Dashboard

/// What an exploratory session found the dashboard doing wrong, pinned down.
@Test func largeCountsStayReadableInTheirColumns() {
    #expect(formatCount(99_999) == "99999")
    #expect(formatCount(120_345) == "120k")
    #expect(formatCount(1_234_567) == "1.2M")
    #expect(formatCount(3_400_000_000) == "3.4G")
    var state = makeState()
    poll(&state, at: t0, discovered: ["shop:/products/2:e3b0c442"])
    poll(
        &state, at: t0 + 1000, details: ["shop:/products/2:e3b0c442": KeyDetail(ttlMs: 60_000, hits: 1_234_567, misses: 120_345)])
    let row = render(state).lines[7]
    #expect(row.contains(" 1.2M  120k  91%"), "\(row)")
}

@Test func keyNamesCannotBreakTheLayout() {
    let hostile = [
        "shop:/a\nb\u{1B}[31mRED:e3b0c442", "shop:/tab\there:e3b0c442", "shop:/日本語日本語:e3b0c442",
        "shop:/zw\u{200B}\u{200B}x:e3b0c442", "shop:/❤️🈐:e3b0c442",
    ]
    var state = makeState()
    poll(&state, at: t0, discovered: hostile)
    let lines = render(state).lines
    #expect(lines.allSatisfy { $0.count <= 80 && !$0.contains("\n") && !$0.contains("\t") && !$0.contains("\u{1B}") })
    let rows = lines[7...11]
    #expect(rows.allSatisfy { $0.dropFirst(24).hasPrefix("/") }, "every ROUTE column starts where the header says: \(rows)")
    #expect(lines[12].isEmpty, "no row spilled into the next")
    // Characters a terminal gives zero or two columns are shown as one `?` each, so counting
    // characters is counting columns.
    #expect(rows.joined().unicodeScalars.allSatisfy { $0.isASCII || "…—".unicodeScalars.contains($0) }, "\(rows)")
    #expect(rows.contains { $0.hasPrefix("shop:/??????:e3b0c442") })
}

@Test func aRefilledKeyKeepsItsCountsAndLastKnownSize() {
    var state = makeState()
    let key = "shop:/products:e3b0c442"
    poll(&state, at: t0, details: [:])
    poll(&state, at: t0, events: [event(.miss, key, at: t0), event(.hit, key, at: t0 + 1), event(.hit, key, at: t0 + 2)])
    poll(&state, at: t0 + 10, details: [key: KeyDetail(ttlMs: 60_000, sizeBytes: 584, hits: 2, misses: 1, fills: 1)])
    poll(
        &state, at: t0 + 100,
        events: [
            event(.invalidate, key, at: t0 + 50), event(.fill, key, ttlMs: 60_000, at: t0 + 60),
            event(.hit, key, at: t0 + 70),
        ])
    let row = render(state).lines[7]
    #expect(row.contains("    3     1"), "the counts go on from before the refill, as Redis's counters do: \(row)")
    #expect(row.contains("584B"), "the size last read stands until Redis is asked again: \(row)")
}

@Test func aRedisRestartForgetsWhatItKnew() {
    var state = makeState()
    poll(&state, at: t0, discovered: ["shop:/a:1", "shop:/b:2"])
    #expect(state.rows.count == 2)
    _ = update(&state, .poll(PollResult(nowMs: t0 + 1000, redis: overview, discoveredKeys: ["shop:/c:3"], redisRestarted: true)))
    #expect(state.rows.map(\.name) == ["shop:/c:3"])
}

@Test func aFailedCountClosesThePromptAndEscapeCancels() {
    var state = makeState()
    press(&state, .char("I"))
    for character in "shop:*" { press(&state, .char(character)) }
    #expect(press(&state, .enter) == [.countPattern("shop:*")])
    _ = update(&state, .patternCount(pattern: "shop:*", count: nil))
    #expect(render(state).lines[23].hasPrefix("could not count keys matching shop:*"))
    #expect(press(&state, .char("j")).isEmpty && state.prompt == nil, "keys work again")
    press(&state, .char("I"))
    for character in "shop:*" { press(&state, .char(character)) }
    press(&state, .enter)
    _ = update(&state, .patternCount(pattern: "shop:*", count: 4))
    press(&state, .escape)
    #expect(render(state).lines[23] == "invalidation cancelled")
}

@Test func theLastActionShowsBeforeTheLoadLine() {
    var state = makeState()
    _ = update(
        &state,
        .loadStatus("load → http://127.0.0.1:8000: rps 200.0 | HIT 90.0% MISS 10.0% BYPASS 0.0% | p50 1.0ms p99 9.0ms | errors 0")
    )
    _ = update(&state, .actionFinished("demo load started"))
    #expect(render(state).lines[23].hasPrefix("demo load started  │  load → "))
}

@Test func spotCheckedKeysExpireAndSortByTheirTTL() {
    var state = makeState()
    poll(&state, at: t0, discovered: ["shop:/a:1", "shop:/b:2", "shop:/c:3"])
    _ = update(
        &state,
        .poll(
            PollResult(
                nowMs: t0 + 1000, redis: overview,
                spotCheckedTTLs: ["shop:/a:1": 90_000, "shop:/b:2": nil, "shop:/c:3": 30_000])))
    #expect(state.rows.map(\.name) == ["shop:/c:3", "shop:/a:1"], "b is gone; c expires first")
}

@Test func headerNamesRedisBeforeItEverAnswered() {
    var state = DashboardState(
        config: DashboardConfig(mode: "attached", prefixes: ["shop"], refreshMs: 1000, redisAddress: "redis://10.0.0.9:6379/0"),
        width: 80, height: 24, nowMs: t0)
    #expect(render(state).lines[0] == "CacheScope  connecting to Redis redis://10.0.0.9:6379/0…")
    _ = update(&state, .redisDown(reason: "connection refused"))
    #expect(render(state).lines[0] == "CacheScope  redis redis://10.0.0.9:6379/0  DOWN")
}
