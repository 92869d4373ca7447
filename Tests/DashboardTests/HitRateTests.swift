import CacheCore
import Testing

@testable import Dashboard

@Test func hitRateWindowsComeFromDeltasBetweenPolls() {
    var state = makeState()
    poll(&state, at: t0, totals: ["/products": counts(hits: 100, misses: 100)])
    #expect(render(state).lines[3].hasPrefix("hit rate  10s —  60s —  all 50.0%"))
    poll(&state, at: t0 + 30_000, totals: ["/products": counts(hits: 150, misses: 110)])
    poll(&state, at: t0 + 55_000, totals: ["/products": counts(hits: 160, misses: 140)])
    poll(&state, at: t0 + 60_000, totals: ["/products": counts(hits: 190, misses: 140)])
    // Two routes are summed: 210 hits and 155 misses in all.
    poll(
        &state, at: t0 + 65_000,
        totals: ["/products": counts(hits: 200, misses: 145), "/categories": counts(hits: 10, misses: 10)])
    // 10 s: from +55 s, 50 hits / 15 misses; 60 s: from +0 s, 110 / 55; all: 210 / 365.
    #expect(render(state).lines[3].hasPrefix("hit rate  10s 76.9%  60s 66.7%  all 57.5%"))
}

@Test func sparklinesShowHitRateAndRequestsPerSecond() {
    var state = makeState()
    poll(&state, at: t0, totals: ["/p": counts(hits: 0, misses: 0)])
    poll(&state, at: t0 + 1_000, totals: ["/p": counts(hits: 10, misses: 10)])  // 50 %, 20/s
    poll(&state, at: t0 + 2_000, totals: ["/p": counts(hits: 30, misses: 10)])  // 100 %, 20/s
    poll(&state, at: t0 + 4_000, totals: ["/p": counts(hits: 30, misses: 10, bypasses: 20)])  // no lookups, 10/s
    let line = render(state).lines[5]
    #expect(
        line == "hit% ▅█" + String(repeating: " ", count: 27) + "  req/s ██▅" + String(repeating: " ", count: 26) + " peak 20")
}

@Test func historyStaysBoundedAndWindowsStayRight() {
    var state = makeState()
    for second in 0...1_000 {
        poll(&state, at: t0 + Int64(second) * 1000, totals: ["/p": counts(hits: second * 3, misses: second)])
    }
    #expect(state.history.samples.count <= 302)
    #expect(render(state).lines[3].hasPrefix("hit rate  10s 75.0%  60s 75.0%  all 75.0%"))
}

@Test func latencyPercentilesSeparateHitsFromMisses() {
    var state = makeState()
    let hits = (1...100).map { event(.hit, "shop:/a:1", latencyUs: $0 * 10) }
    let misses = [event(.miss, "shop:/a:1", latencyUs: 40_000), event(.coalesced, "shop:/a:1", latencyUs: 2_000_000)]
    poll(&state, at: t0, events: hits + misses)
    #expect(render(state).lines[4].hasPrefix("p50/p99   hit 500µs/990µs  miss 40ms/2.0s"))
}
