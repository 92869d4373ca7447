import CacheCore

/// The most recent `refused` events: loads the fill guard kept out of the cache.
struct RecentRefusals: Equatable {
    static let limit = 50
    private(set) var newestFirst: [CacheEvent] = []

    mutating func record(_ events: [CacheEvent]) {
        newestFirst = Array((events.filter { $0.outcome == .refused }.reversed() + newestFirst).prefix(Self.limit))
    }
}

/// What reaches the store right now: every origin load in flight on every server (how long it has
/// been loading, how many requests wait on it), then the recent fills the guard refused, each with
/// the invalidation that made it stale.
func drawLoadsView(_ state: DashboardState, layout: Layout, into buffer: inout ScreenBuffer) {
    var y = layout.viewTop
    let keyWidth = max(20, buffer.width - 38)
    buffer.put("origin loads in flight now: \(state.loads.count)", x: 0, y: y, role: .label)
    y += 1
    buffer.put(
        "KEY".padded(to: keyWidth) + " " + "SERVER".padded(to: 10) + "LOADING FOR".rightAligned(to: 12)
            + "WAITING".rightAligned(to: 10), x: 0, y: y, role: .label)
    y += 1
    let half = layout.viewTop + (layout.viewBottom - layout.viewTop) / 2
    if state.loads.isEmpty { buffer.put("none: every request is answered from the cache", x: 0, y: y, role: .dim) }
    for load in state.loads.prefix(max(0, half - y)) {
        let loading = formatDuration(us: Int(max(0, state.nowMs - load.startedMs)) * 1000)
        buffer.put(
            load.key.padded(to: keyWidth) + " " + load.server.padded(to: 10) + loading.rightAligned(to: 12)
                + String(load.waiters).rightAligned(to: 10), x: 0, y: y, role: load.waiters > 0 ? .coalesced : .normal)
        y += 1
    }
    y = max(y + 1, half + 1)
    guard y < layout.viewBottom else { return }
    buffer.put("fills the guard refused lately (an invalidation came during the load)", x: 0, y: y, role: .label)
    y += 1
    let refusals = state.refusals.newestFirst
    if refusals.isEmpty { buffer.put("none", x: 0, y: y, role: .dim) }
    for refusal in refusals.prefix(max(0, layout.viewBottom - y + 1)) {
        let by = refusal.reason.map { "invalidated by \($0)" } ?? "invalidated"
        buffer.put(
            formatClock(ms: refusal.timestampMs) + " " + refusal.key.padded(to: keyWidth - 16) + " "
                + refusal.server.padded(to: 10)
                + by, x: 0, y: y, role: .warn, maxWidth: buffer.width)
        y += 1
    }
}
