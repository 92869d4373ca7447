import CacheCore

/// Redis's own eviction and expiry rates, from the cumulative INFO counters of two polls.
struct RedisRates {
    private var previous: (timeMs: Int64, evicted: Int, expired: Int)?
    private(set) var evictedPerSecond: Double?
    private(set) var expiredPerSecond: Double?

    mutating func record(timeMs: Int64, _ redis: RedisOverview) {
        if let previous, timeMs > previous.timeMs {
            let seconds = Double(timeMs - previous.timeMs) / 1000
            // A counter that went down is a restarted Redis: no rate for that interval.
            evictedPerSecond =
                redis.evictedKeys >= previous.evicted ? Double(redis.evictedKeys - previous.evicted) / seconds : nil
            expiredPerSecond =
                redis.expiredKeys >= previous.expired ? Double(redis.expiredKeys - previous.expired) / seconds : nil
        }
        previous = (timeMs, redis.evictedKeys, redis.expiredKeys)
    }
}

extension MissCause {
    /// Each cause's role and glyph in a misses-by-cause bar: told apart by colour, and by shape without it.
    var role: ColorRole {
        switch self {
        case .cold: .causeCold
        case .expired: .causeExpired
        case .invalidated: .causeInvalidated
        case .evicted: .causeEvicted
        case .refused: .causeRefused
        case .uncacheable: .causeUncacheable
        }
    }

    var glyph: Character {
        switch self {
        case .cold: "█"
        case .expired: "▓"
        case .invalidated: "▒"
        case .evicted: "░"
        case .refused: "▚"
        case .uncacheable: "▞"
        }
    }
}

/// The segments of a misses-by-cause bar `width` wide: each cause's share of the misses, in
/// cause order, rounded so the segments fill the bar exactly; empty without misses.
func causeSegments(_ counts: RouteCounts, width: Int) -> [(cause: MissCause, columns: Int)] {
    let total = counts.misses
    guard total > 0, width > 0 else { return [] }
    var segments: [(MissCause, Int)] = []
    var used = 0, running = 0
    for cause in MissCause.allCases {
        running += counts[.counting(miss: cause)]
        let end = Int((Double(running) / Double(total) * Double(width)).rounded())
        if end > used { segments.append((cause, end - used)) }
        used = max(used, end)
    }
    return segments
}

/// One row per route for the whole fleet (the counters every server adds to in Redis), then under
/// each its misses by cause; below them Redis's own numbers, and a banner when it refuses writes.
func drawRoutesView(_ state: DashboardState, layout: Layout, into buffer: inout ScreenBuffer) {
    var y = layout.viewTop
    if let redis = state.redis, redis.refusesWrites {
        buffer.put(
            "REDIS REFUSES WRITES: maxmemory \(formatBytes(redis.maxMemoryBytes)) reached under noeviction; nothing is cached, invalidations wait"
                .padded(to: buffer.width), x: 0, y: y, role: .error)
        y += 1
    }
    let columns = [("ROUTE", 16), ("HITS", 8), ("MISS", 7), ("STALE", 6), ("COAL", 5), ("ORIGIN", 7), ("BYP", 5)]
    let rates = [("10s%", 6), ("60s%", 6), ("all%", 6), ("REQ/S", 7)]
    var header = ""
    for (index, (title, width)) in (columns + rates).enumerated() {
        header += index == 0 ? title.padded(to: width) : title.rightAligned(to: width)
    }
    buffer.put(header, x: 0, y: y, role: .label)
    y += 1
    let routes = state.routeHistory.keys.sorted()
    if routes.isEmpty {
        buffer.put("no route counters in Redis yet: no server has published any", x: 0, y: y, role: .dim)
    }
    for route in routes where y + 1 < layout.viewBottom {
        let history = state.routeHistory[route]!
        let counts = history.latestTotals ?? RouteCounts()
        let values = [counts.hits, counts.misses, counts.stale, counts.coalesced, counts.originFetches, counts.bypasses]
        var row = route.padded(to: columns[0].1)
        for (value, (_, width)) in zip(values, columns.dropFirst()) { row += formatCount(value).rightAligned(to: width) }
        for (rate, width) in zip(
            [history.hitRate(windowMs: 10_000), history.hitRate(windowMs: 60_000), counts.hitRate], [6, 6, 6])
        {
            row += (rate.map { String(format: "%.1f", $0) } ?? "—").rightAligned(to: width)
        }
        row += (history.requestRatePoints.last.map { String(format: "%.1f", $0) } ?? "—").rightAligned(to: 7)
        buffer.put(row, x: 0, y: y)
        y += 1
        drawCauseBar(counts, x: 2, y: y, into: &buffer)
        y += 1
    }
    y = max(y + 1, layout.viewTop + 3)
    guard y <= layout.viewBottom else { return }
    let keyspace = state.redis.flatMap { redis -> Double? in
        let lookups = redis.keyspaceHits + redis.keyspaceMisses
        return lookups == 0 ? nil : Double(redis.keyspaceHits) / Double(lookups) * 100
    }
    func perSecond(_ rate: Double?) -> String { rate.map { String(format: "%.1f/s", $0) } ?? "—" }
    buffer.put("Redis-wide", x: 0, y: y, role: .label)
    buffer.put(
        "keyspace hit rate \(formatPercent(keyspace)) (all clients)  evicted \(perSecond(state.redisRates.evictedPerSecond))  expired \(perSecond(state.redisRates.expiredPerSecond))",
        x: 11, y: y, maxWidth: buffer.width - 11)
}

/// `misses ███▓▓▒ cold 50% expired 33% invalidated 17%`: the bar, then each cause with its share.
private func drawCauseBar(_ counts: RouteCounts, x: Int, y: Int, into buffer: inout ScreenBuffer) {
    buffer.put("misses", x: x, y: y, role: .dim)
    guard counts.misses > 0 else {
        buffer.put("none yet", x: x + 7, y: y, role: .dim)
        return
    }
    let width = max(10, buffer.width / 4)
    var column = x + 7
    for (cause, columns) in causeSegments(counts, width: width) {
        buffer.put(String(repeating: cause.glyph, count: columns), x: column, y: y, role: cause.role)
        column += columns
    }
    column = x + 7 + width + 1
    for cause in MissCause.allCases where counts[.counting(miss: cause)] > 0 {
        let share = Double(counts[.counting(miss: cause)]) / Double(counts.misses) * 100
        let label = "\(cause.glyph)\(cause.rawValue) \(String(format: "%.0f", share))%"
        guard column + label.count <= buffer.width else { break }
        buffer.put(label, x: column, y: y, role: cause.role)
        column += label.count + 1
    }
}
