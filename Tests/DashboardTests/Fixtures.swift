import CacheCore

@testable import Dashboard

/// 2023-11-14 22:13:20.000 UTC.
let t0: Int64 = 1_700_000_000_000

/// A state that knows the routes a server announced, as the first poll with servers tells it.
func makeState(width: Int = 80, height: Int = 24, routes: [RouteAnnouncement] = catalogueRoutes) -> DashboardState {
    var state = DashboardState(
        config: DashboardConfig(mode: "embedded", prefixes: ["shop"], refreshMs: 1000),
        width: width, height: height, nowMs: t0)
    state.learnRoutes(from: [ServerPresence(id: "s1", url: "http://127.0.0.1:8000", startedMs: t0, routes: routes)])
    return state
}

/// The catalogue's routes as its servers announce them.
let catalogueRoutes = [
    RouteAnnouncement(method: "GET", pattern: "/products", prefix: "shop", ttlMs: 120_000),
    RouteAnnouncement(method: "GET", pattern: "/products/{id}", prefix: "shop", ttlMs: 300_000),
    RouteAnnouncement(method: "GET", pattern: "/categories", prefix: "shop", ttlMs: 600_000),
]

let overview = RedisOverview(
    address: "127.0.0.1:6379", version: "7.2.4", uptimeSeconds: 3725, usedMemoryBytes: 1_572_864,
    connectedClients: 3, opsPerSec: 42, dbSize: 2, keyspaceHits: 30, keyspaceMisses: 10, dashboardReads: 7)

func event(
    _ outcome: CacheOutcome, _ key: String, route: String = "", ttlMs: Int? = nil, latencyUs: Int = 0,
    server: String = "api-1", at timestampMs: Int64 = t0
) -> CacheEvent {
    CacheEvent(
        outcome: outcome, key: key, route: route, ttlMs: ttlMs, latencyUs: latencyUs, server: server, timestampMs: timestampMs)
}

func counts(hits: Int, misses: Int, bypasses: Int = 0) -> RouteCounts {
    var counts = RouteCounts()
    counts.hits = hits
    counts.misses = misses
    counts.bypasses = bypasses
    return counts
}

/// Feeds one poll and returns its effects.
@discardableResult
func poll(
    _ state: inout DashboardState, at nowMs: Int64, totals: [String: RouteCounts] = [:], events: [CacheEvent] = [],
    discovered: [String] = [], details: [String: KeyDetail] = [:], servers: [ServerPresence] = []
) -> [Effect] {
    update(
        &state,
        .poll(
            PollResult(
                nowMs: nowMs, redis: overview, routeTotals: totals, events: events,
                discoveredKeys: discovered, keyDetails: details, servers: servers)))
}

/// Types keys one after another, returning all effects.
@discardableResult
func press(_ state: inout DashboardState, _ keys: KeyPress...) -> [Effect] {
    keys.flatMap { update(&state, .key($0)) }
}

func type(_ state: inout DashboardState, _ text: String) {
    for character in text { _ = update(&state, .key(.char(character))) }
}

func presence(_ id: String, nearCacheMs: Int = 0, active: Bool = false) -> ServerPresence {
    ServerPresence(id: id, url: "http://\(id):8000", nearCacheMs: nearCacheMs, nearCacheActive: active, startedMs: t0)
}
