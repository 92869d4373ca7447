import CacheCore
import Foundation
import Testing

@testable import Dashboard

/// Route totals with misses split by cause, as the servers publish them.
private func routeCounts(hits: Int, causes: [MissCause: Int], stale: Int = 0) -> RouteCounts {
    var counts = RouteCounts()
    counts.hits = hits
    counts.stale = stale
    for (cause, count) in causes {
        counts[.counting(miss: cause)] = count
        counts.misses += count
        counts.originFetches += count
    }
    return counts
}

/// Two polls 10 s apart: the second adds 90 hits and 10 misses to `/products`.
private func routesState(width: Int = 80, height: Int = 24, redis: RedisOverview = overview) -> DashboardState {
    var state = makeState(width: width, height: height)
    let before = routeCounts(hits: 100, causes: [.cold: 40, .expired: 10])
    let after = routeCounts(hits: 190, causes: [.cold: 40, .expired: 15, .invalidated: 5])
    _ = update(&state, .poll(PollResult(nowMs: t0, redis: redis, routeTotals: ["/products": before])))
    var later = redis
    later.expiredKeys += 20
    _ = update(&state, .poll(PollResult(nowMs: t0 + 10_000, redis: later, routeTotals: ["/products": after])))
    press(&state, .char("2"))
    return state
}

@Test func numberKeysAndTabSwitchViews() {
    var state = makeState()
    #expect(state.view == .keys)
    press(&state, .char("3"))
    #expect(state.view == .top)
    press(&state, .tab, .tab)
    #expect(state.view == .expiry)
    press(&state, .tab, .tab)
    #expect(state.view == .keys, "Tab wraps around")
    press(&state, .backTab, .backTab)
    #expect(state.view == .expiry)
    press(&state, .char("9"))
    #expect(state.view == .expiry, "no view 9")
    let tabs = render(state).lines[2]
    #expect(tabs.hasPrefix("1 Keys  2 Routes  3 Top  4 Latency  5 Expiry  6 Loads"))
    #expect(render(state).role(atX: 36, y: 2) == .selected, "the active tab is highlighted")
    #expect(render(state).role(atX: 25, y: 2) == .label)
    #expect(render(state).role(atX: 0, y: 2) == .label)
}

@Test func keysViewKeysDoNothingInOtherViews() {
    var state = makeState()
    poll(&state, at: t0, events: [event(.fill, "shop:/products:aaaaaaaa", ttlMs: 60_000)])
    press(&state, .char("2"))
    #expect(press(&state, .char("i")).isEmpty)
    #expect(press(&state, .char("w")).isEmpty)
    #expect(press(&state, .char("L")) == [.toggleLoad], "global keys still work")
}

@Test func routesViewAt80x24() {
    let lines = render(routesState()).lines
    #expect(lines[6] == "ROUTE               HITS   MISS STALE COAL ORIGIN  BYP  10s%  60s%  all%  REQ/S")
    #expect(lines[7] == "/products            190     60     0    0     60    0  90.0  90.0  76.0   10.0")
    // 20 columns of bar: cold 40/60, expired 15/60, invalidated 5/60.
    #expect(
        lines[8]
            == "  misses █████████████▓▓▓▓▓▒▒ █cold 67% ▓expired 25% ▒invalidated 8%")
    #expect(lines[10] == "Redis-wide keyspace hit rate 75.0% (all clients)  evicted 0.0/s  expired 2.0/s")
    let buffer = render(routesState())
    #expect(buffer.role(atX: 9, y: 8) == .causeCold)
    #expect(buffer.role(atX: 24, y: 8) == .causeExpired)
    #expect(buffer.role(atX: 27, y: 8) == .causeInvalidated)
}

@Test func routesViewAt160x48ShowsAWiderBarAndTheOOMBanner() {
    var full = overview
    full.maxMemoryBytes = 1_000_000
    full.usedMemoryBytes = 1_200_000
    full.maxMemoryPolicy = "noeviction"
    let buffer = render(routesState(width: 160, height: 48, redis: full))
    let lines = buffer.lines
    #expect(lines[6].hasPrefix("REDIS REFUSES WRITES: maxmemory 976.6KiB reached under noeviction"))
    #expect(buffer.role(atX: 0, y: 6) == .error)
    #expect(lines[7].hasPrefix("ROUTE               HITS"))
    let bar = lines[9].dropFirst(9).prefix(40)
    #expect(bar == "███████████████████████████▓▓▓▓▓▓▓▓▓▓▒▒▒", "a quarter of 160 columns, in the same shares")
}

@Test func causeSegmentsFillTheBarExactly() {
    let counts = routeCounts(hits: 0, causes: [.cold: 1, .expired: 1, .evicted: 1])
    let segments = causeSegments(counts, width: 10)
    #expect(segments.map(\.columns).reduce(0, +) == 10)
    #expect(segments.map(\.cause) == [.cold, .expired, .evicted])
    #expect(causeSegments(RouteCounts(), width: 10).isEmpty)
}

@Test func expiryTimelineFlagsACliff() {
    // 10 keys: 4 expire in second 5 (a warm-up without jitter), the rest spread out.
    let remaining = [5_100, 5_200, 5_300, 5_900, 1_000, 12_000, 20_000, 33_000, 41_000, 200_000]
    let timeline = ExpiryTimeline(remainingMs: remaining, seconds: 74)
    #expect(timeline.buckets[5] == 4)
    #expect(timeline.cliffs == [5])
    #expect(timeline.later == 1)
    #expect(timeline.keysWithTTL == 10)
    let spread = ExpiryTimeline(remainingMs: (0..<10).map { $0 * 1000 + 500 }, seconds: 74)
    #expect(spread.cliffs.isEmpty, "one key a second is no cliff")
    #expect(ExpiryTimeline(remainingMs: [500], seconds: 10).cliffs.isEmpty, "nor is one key alone")
}

@Test func expiryViewDrawsTheCliff() {
    var state = makeState()
    let keys = (0..<4).map { "shop:/products:\($0)" } + ["shop:/categories:e3b0c442"]
    let events = keys.enumerated().map { index, key in
        event(.fill, key, route: "/products", ttlMs: index < 4 ? 5_500 : 30_500)
    }
    poll(&state, at: t0, events: events)
    press(&state, .char("5"))
    let buffer = render(state)
    let lines = buffer.lines
    #expect(lines[6] == "keys expiring in each of the next 74 s: 5 with a known TTL, 0 later")
    #expect(lines[7].hasPrefix("CLIFF at +5s: 4 keys (80%)"))
    #expect(buffer.role(atX: 6 + 5, y: 8) == .warn, "the cliff's bar is drawn in the warning role")
    #expect(lines[8].dropFirst(6 + 5).first == "█")
    #expect(lines[20].dropFirst(6 + 30).first != " ", "the other key's bar reaches the bottom row")
    #expect(lines[21].hasPrefix("      |0s       |10s"))
}

@Test func topListDecaysWithThePollClock() {
    var top = TopList()
    let hot = (0..<10).map { _ in event(.miss, "shop:/products/1:x") }
    top.record(hot + [event(.miss, "shop:/products/2:x")], atMs: t0)
    var ranked = top.ranked(.miss)
    #expect(ranked.map(\.key) == ["shop:/products/1:x", "shop:/products/2:x"])
    #expect(ranked.map(\.count) == [10, 1])
    #expect(abs(ranked[0].share - 10.0 / 11.0) < 1e-9)
    // Ten seconds later (a half-life) key 2 is requested 6 times: it overtakes key 1 (5.0 left).
    top.record((0..<6).map { _ in event(.miss, "shop:/products/2:x") }, atMs: t0 + 10_000)
    ranked = top.ranked(.miss)
    #expect(ranked.first?.key == "shop:/products/2:x")
    #expect(abs(TopList.rate(ofScore: 5) - 5 * log(2) / 10) < 1e-9)
    // A minute of silence: both sink; after ten minutes they are forgotten.
    top.record([], atMs: t0 + 70_000)
    #expect((top.ranked(.miss).first?.rate ?? 1) < 0.05)
    top.record([], atMs: t0 + 700_000)
    #expect(top.ranked(.miss).isEmpty)
    #expect(top.ranked(.hit).isEmpty, "kinds are ranked apart")
}

@Test func topViewCyclesKinds() {
    var state = makeState()
    poll(&state, at: t0, events: [event(.hit, "shop:/products:a"), event(.miss, "shop:/products:b")])
    press(&state, .char("3"))
    #expect(render(state).lines[8].hasPrefix("shop:/products:b"), "MISS first: what reaches the store")
    press(&state, .char("e"))
    #expect(state.topKind == .fill)
    press(&state, .char("e"), .char("e"), .char("e"))  // INVALIDATE, COALESCED, HIT
    #expect(state.topKind == .hit)
    #expect(render(state).lines[8].hasPrefix("shop:/products:a"))
}

@Test func histogramBucketsAreLogScale() {
    #expect(LatencyHistogram.column(ofMicroseconds: 0, columns: 70) == 0)
    #expect(LatencyHistogram.column(ofMicroseconds: 1, columns: 70) == 0)
    #expect(LatencyHistogram.column(ofMicroseconds: 10, columns: 70) == 10)
    #expect(LatencyHistogram.column(ofMicroseconds: 1_000, columns: 70) == 30)
    #expect(LatencyHistogram.column(ofMicroseconds: 9_999_999, columns: 70) == 69)
    #expect(LatencyHistogram.column(ofMicroseconds: 60_000_000, columns: 70) == 69, "10 s and more in the last")
    let histogram = LatencyHistogram([], columns: 70)
    #expect(histogram.decadeColumns.map(\.column) == [0, 10, 20, 30, 40, 50, 60, 69])
}

@Test func latencyViewStacksMissesOnHitsAndFiltersByRoute() {
    var state = makeState()
    let events =
        (0..<10).map { _ in event(.hit, "shop:/products:a", route: "/products", latencyUs: 100) }
        + (0..<10).map { _ in event(.miss, "shop:/products:a", route: "/products", latencyUs: 200_000) }
        + [event(.miss, "shop:/categories:a", route: "/categories", latencyUs: 100)]
    poll(&state, at: t0, totals: ["/products": RouteCounts(), "/categories": RouteCounts()], events: events)
    press(&state, .char("4"))
    var buffer = render(state)
    let hitColumn = LatencyHistogram.column(ofMicroseconds: 100, columns: 80)
    let missColumn = LatencyHistogram.column(ofMicroseconds: 200_000, columns: 80)
    #expect(buffer.lines[6].hasPrefix("latency of the last 21 answers, all routes"))
    #expect(buffer.lines[20].dropFirst(hitColumn).first == "|")
    #expect(buffer.lines[20].dropFirst(missColumn).first == "#")
    #expect(buffer.role(atX: missColumn, y: 20) == .miss)
    // At 100 µs one miss (from /categories) stacks on the ten hits.
    let stack = (8...20).map { buffer.lines[$0].dropFirst(hitColumn).first ?? " " }.filter { $0 != " " }
    #expect(stack.first == "#" && stack.dropFirst().allSatisfy { $0 == "|" })
    press(&state, .char("r"))
    #expect(state.latencyRoute == "/categories")
    buffer = render(state)
    #expect(buffer.lines[6].hasPrefix("latency of the last 1 answers, /categories"))
    press(&state, .char("r"), .char("r"))
    #expect(state.latencyRoute == nil, "after the last route, all again")
}

@Test func helpListsTheCurrentViewsKeys() {
    var state = makeState()
    press(&state, .char("3"), .char("?"))
    let text = render(state).lines.joined(separator: "\n")
    #expect(text.contains("CacheScope hotkeys: Top"))
    #expect(text.contains("rank by HIT, MISS"))
    #expect(!text.contains("invalidate selected key"))
}

@Test func loadsViewShowsWhatIsInFlightAndWhatTheGuardRefused() {
    var state = makeState()
    var refused = event(.refused, "shop:/products:aaaaaaaa", route: "/products", server: "api-2", at: t0 - 500)
    refused.reason = "POST /products"
    let loads = [
        InFlightLoad(key: "shop:/products/3:e3b0c442", server: "api-1", startedMs: t0 - 1_250, waiters: 14),
        InFlightLoad(key: "shop:/categories:e3b0c442", server: "api-2", startedMs: t0 - 40, waiters: 0),
    ]
    _ = update(&state, .poll(PollResult(nowMs: t0, redis: overview, events: [refused], loads: loads)))
    press(&state, .char("6"))
    let buffer = render(state)
    let lines = buffer.lines
    #expect(lines[6] == "origin loads in flight now: 2")
    #expect(lines[7].hasPrefix("KEY") && lines[7].hasSuffix("LOADING FOR   WAITING"))
    #expect(
        lines[8].hasPrefix("shop:/products/3:e3b0c442") && lines[8].contains("api-1")
            && lines[8].hasSuffix(formatDuration(us: 1_250_000).rightAligned(to: 12) + "14".rightAligned(to: 10)))
    #expect(buffer.role(atX: 0, y: 8) == .coalesced, "a load others wait on stands out")
    #expect(lines[9].hasSuffix(formatDuration(us: 40_000).rightAligned(to: 12) + "0".rightAligned(to: 10)))
    let refusalLine = lines.first { $0.contains("shop:/products:aaaaaaaa") } ?? ""
    #expect(refusalLine.hasPrefix("22:13:19.500"))
    #expect(refusalLine.hasSuffix("api-2     invalidated by POST /products"))
}

/// A click on a tab selects its view, a click on a row selects the row, the wheel moves the selection.
@Test func mouseClicksSelectTabsAndRowsAndTheWheelScrolls() {
    var state = makeState()
    poll(&state, at: t0, discovered: (0..<12).map { "shop:/k:\(String(format: "%02d", $0))" })
    press(&state, .char("s"), .char("s"), .char("s"))  // by key
    press(&state, .click(x: 10, y: 2))
    #expect(state.view == .routes, "'2 Routes' spans columns 8–15")
    press(&state, .click(x: 7, y: 2))
    #expect(state.view == .routes, "the gap between tabs selects nothing")
    press(&state, .click(x: 0, y: 2))
    #expect(state.view == .keys)
    press(&state, .click(x: 30, y: 7 + 3))
    #expect(state.selectedKey == "shop:/k:03", "the fourth row")
    press(&state, .wheelDown)
    #expect(state.selectedKey == "shop:/k:06")
    press(&state, .wheelUp, .wheelUp)
    #expect(state.selectedKey == "shop:/k:00")
    press(&state, .click(x: 5, y: 20))
    #expect(state.selectedKey == "shop:/k:00", "a click on the log selects no row")
}

/// Every view at 160×48: its own first line where it belongs, the panel and footer in place, and
/// nothing drawn past the edge.
@Test(arguments: DashboardView.allCases) func eachViewAt160x48(view: DashboardView) {
    var state = makeState(width: 160, height: 48)
    let events = (0..<6).flatMap { index in
        [
            event(.fill, "shop:/products:\(index)", route: "/products", ttlMs: 10_000 + index * 1_000),
            event(.hit, "shop:/products:\(index)", route: "/products", latencyUs: 80),
            event(.miss, "shop:/products/\(index):x", route: "/products/{id}", latencyUs: 150_000),
        ]
    }
    var totals = counts(hits: 6, misses: 6)
    totals[.counting(miss: .cold)] = 6
    _ = update(
        &state,
        .poll(
            PollResult(
                nowMs: t0, redis: overview, routeTotals: ["/products": totals], events: events,
                loads: [InFlightLoad(key: "shop:/products/9:x", server: "api-1", startedMs: t0 - 100, waiters: 3)])))
    press(&state, .char(Character(String(view.rawValue))))
    let lines = render(state).lines
    let firstLine: String =
        switch view {
        case .keys: "KEY (12, by TTL)"
        case .routes: "ROUTE"
        case .top: "keys by MISS rate"
        case .latency: "latency of the last 12 answers"
        case .expiry: "keys expiring in each of the next 154 s: 6 with a known TTL"
        case .loads: "origin loads in flight now: 1"
        }
    #expect(lines[6].hasPrefix(firstLine), "\(view): \(lines[6])")
    #expect(lines[2].hasPrefix("1 Keys  2 Routes"))
    #expect(lines[3].hasPrefix("hit rate"))
    #expect(lines[46].hasPrefix("?:help"))
    #expect(lines.allSatisfy { $0.count <= 160 })
    #expect(lines.count == 48)
}
