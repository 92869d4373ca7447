import CacheCore
import Foundation
import Testing

@testable import Dashboard

/// Two polls ten seconds apart: one miss+fill and one hit, then only counter growth.
private func sampleState() -> DashboardState {
    var state = makeState(routes: [RouteAnnouncement(method: "GET", pattern: "/products", prefix: "shop", ttlMs: 60_000)])
    let servers = [presence("api-1"), presence("api-2", nearCacheMs: 1000, active: true)]
    poll(
        &state, at: t0, totals: ["/products": counts(hits: 10, misses: 10)],
        events: [
            event(.miss, "shop:/products:aaaaaaaa", route: "/products", latencyUs: 12_000, at: t0 - 500),
            event(.fill, "shop:/products:aaaaaaaa", route: "/products", ttlMs: 60_000, at: t0 - 400),
            event(.hit, "shop:/products/7:bbbbbbbb", route: "/products/{id}", latencyUs: 250, server: "api-2", at: t0 - 300),
        ], servers: servers)
    poll(&state, at: t0 + 10_000, totals: ["/products": counts(hits: 19, misses: 11)], servers: servers)
    return state
}

@Test func wholeLayoutAt80x24() {
    let lines = render(sampleState()).lines
    let blank = String(repeating: " ", count: 29)
    #expect(
        lines == [
            "CacheScope  redis 127.0.0.1:6379 v7.2.4  UP  uptime 1h02m  mem 1.5MiB",
            "ops/s 42  dbsize 2  clients 3  servers 2 (near 1)  mode embedded  refresh 1s",
            "1 Keys  2 Routes  3 Top  4 Latency  5 Expiry  6 Loads",
            "hit rate  10s 90.0%  60s 90.0%  all 63.3%       │ Redis-wide keyspace 75.0%",
            "p50/p99   hit 250µs/250µs  miss 12ms/12ms       │ dashboard reads excluded: 7",
            "hit% ▇\(blank)  req/s █\(blank) peak 1",
            "KEY (2, by TTL)         ROUTE           HITS  MISS HIT%     SIZE    TTL",
            "shop:/products:aaaaaaaa /products          0     1   0%        —    50s ███████░",
            "shop:/products/7:bbbbb… /products/{id}     1     0 100%        —      —",
            "", "", "", "", "", "", "",
            "TIME (UTC)   EVENT      KEY                                 LATENCY SERVER",
            "22:13:19.700 HIT        shop:/products/7:bbbbbbbb             250µs api-2",
            "22:13:19.600 FILL       shop:/products:aaaaaaaa                 0µs api-1",
            "22:13:19.500 MISS       shop:/products:aaaaaaaa                12ms api-1",
            "", "",
            "?:help q:quit i/I:invalidate w/W:warm /:filter s:sort p:pause L:load O:origin",
            "",
        ])
}

@Test func rolesColourEventsSelectionAndBars() {
    let buffer = render(sampleState())
    #expect(buffer.role(atX: 13, y: 17) == .hit)
    #expect(buffer.role(atX: 13, y: 18) == .fill)
    #expect(buffer.role(atX: 13, y: 19) == .miss)
    #expect(buffer.role(atX: 0, y: 7) == .selected)
    #expect(buffer.role(atX: 71, y: 7) == .selected)
    #expect(buffer.role(atX: 79, y: 7) == .bar, "the selected row's TTL bar stays visible")
    #expect(buffer.role(atX: 79, y: 8) == .normal)
    #expect(buffer.role(atX: 0, y: 0) == .title)
}

@Test func headerShowsDownAndBannerWhileKeepingLastValues() {
    var state = sampleState()
    _ = update(&state, .redisDown(reason: "connection refused"))
    let lines = render(state).lines
    #expect(lines[0] == "CacheScope  redis 127.0.0.1:6379 v7.2.4  DOWN  uptime 1h02m  mem 1.5MiB")
    #expect(lines[3] == "hit rate  10s 90.0%  60s 90.0%  all 63.3%       │ Redis-wide keyspace 75.0%")
    #expect(lines[7].hasPrefix("shop:/products:aaaaaaaa"))
    #expect(lines[22] == "Redis unreachable — retrying (showing last known values): connection refused")
    #expect(render(state).role(atX: 0, y: 22) == .error)

    poll(&state, at: t0 + 11_000, totals: ["/products": counts(hits: 19, misses: 11)])
    #expect(render(state).lines[22].hasPrefix("?:help"))
}

@Test func headerBeforeFirstPollAndWhilePaused() {
    var state = makeState()
    press(&state, .char("p"))
    let lines = render(state).lines
    #expect(lines[0] == "CacheScope  connecting to Redis…")
    #expect(lines[1] == "ops/s —  dbsize —  clients —  servers 0  mode embedded  refresh 1s  PAUSED")
}

@Test func helpOverlayListsEveryHotkey() {
    var state = makeState()
    press(&state, .char("?"))
    let lines = render(state).lines
    let border = String(repeating: "─", count: 51)
    let box = lines[1...21].map { String($0.dropFirst(13).prefix(53)) }
    #expect(
        box == [
            "┌\(border)┐",
            "│ CacheScope hotkeys: Keys                          │",
            "│ ↑/↓ j/k      select key                           │",
            "│ PgUp/PgDn    page     Home/End  first/last        │",
            "│ i            invalidate selected key              │",
            "│ I            invalidate keys matching a glob      │",
            "│ w            warm selected key                    │",
            "│ W            warm all known requests              │",
            "│ /            filter keys (Enter apply, Esc clear) │",
            "│ s            sort: TTL, hits, hit %, key          │",
            "│ 1-6 Tab      switch view (Shift-Tab: back)        │",
            "│ :            query events (log, Top, Latency)     │",
            "│ p            pause/resume the display             │",
            "│ L            start/stop the demo load             │",
            "│ O            make store reads fail / recover      │",
            "│ + / -        refresh interval longer/shorter      │",
            "│ ?            this help                            │",
            "│ q            quit                                 │",
            "│                                                   │",
            "│ press any key to close                            │",
            "└\(border)┘",
        ])
    #expect(press(&state, .char("q")).isEmpty, "the key that closes help does nothing else")
    #expect(!render(state).lines.joined().contains("hotkeys"))
}

@Test func tooSmallWindowShowsOnlyAMessage() {
    var state = makeState()
    _ = update(&state, .resize(width: 79, height: 30))
    let message = "terminal too small (need 80×24)"
    let centred = String(repeating: " ", count: (79 - message.count) / 2) + message
    #expect(render(state).lines == Array(repeating: "", count: 14) + [centred] + Array(repeating: "", count: 15))
    _ = update(&state, .resize(width: 100, height: 23))
    #expect(render(state).lines[11].trimmingCharacters(in: .whitespaces) == message)
    #expect(state.visibleKeys.isEmpty)
}
