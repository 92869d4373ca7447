import CacheCore

/// Two header lines: who Redis is and how it is doing, then how the dashboard is running.
func drawHeader(_ state: DashboardState, into buffer: inout ScreenBuffer) {
    var x = 0
    func part(_ text: String, _ role: ColorRole = .normal, y: Int) {
        buffer.put(text, x: x, y: y, role: role)
        x += text.count + 2
    }
    part("CacheScope", .title, y: 0)
    if let redis = state.redis {
        part("redis \(redis.address) v\(redis.version)", y: 0)
        part(state.redisDownReason == nil ? "UP" : "DOWN", state.redisDownReason == nil ? .hit : .error, y: 0)
        part("uptime \(formatUptime(seconds: redis.uptimeSeconds))", y: 0)
        part("mem \(formatBytes(redis.usedMemoryBytes))", y: 0)
    } else {
        let address = state.config.redisAddress.isEmpty ? "" : " \(state.config.redisAddress)"
        if state.redisDownReason == nil {
            part("connecting to Redis\(address)…", .dim, y: 0)
        } else {
            part("redis\(address)", y: 0)
            part("DOWN", .error, y: 0)
        }
    }
    x = 0
    part("ops/s \(state.redis.map { String($0.opsPerSec) } ?? "—")", y: 1)
    part("dbsize \(state.redis.map { String($0.dbSize) } ?? "—")", y: 1)
    part("clients \(state.redis.map { String($0.connectedClients) } ?? "—")", y: 1)
    let nearCaches = state.servers.filter { $0.nearCacheMs > 0 }
    let serving = nearCaches.filter(\.nearCacheActive).count
    if nearCaches.isEmpty {
        part("servers \(state.servers.count)", y: 1)
    } else if serving == nearCaches.count {
        part("servers \(state.servers.count) (near \(serving))", y: 1)
    } else {  // a near cache is configured but not serving (its subscription is down)
        part("servers \(state.servers.count) (near \(serving)/\(nearCaches.count))", .warn, y: 1)
    }
    part("mode \(state.config.mode)", y: 1)
    part("refresh \(DurationText.format(.milliseconds(state.refreshMs)))", y: 1)
    if state.isPaused { part("PAUSED", .warn, y: 1) }
}

/// Hit rates (app level from the route counters, beside them Redis-wide), latency percentiles,
/// and sparklines of hit rate and requests per second.
func drawHitRatePanel(_ state: DashboardState, into buffer: inout ScreenBuffer) {
    let top = Layout.panelTop
    let rightX = buffer.width * 3 / 5
    let history = state.history
    let windows =
        "10s \(formatPercent(history.hitRate(windowMs: 10_000)))  60s \(formatPercent(history.hitRate(windowMs: 60_000)))"
    buffer.put("hit rate", x: 0, y: top, role: .label)
    buffer.put("\(windows)  all \(formatPercent(history.latestTotals?.hitRate))", x: 10, y: top, maxWidth: rightX - 11)

    let latency = state.latencies
    func percentiles(_ values: [Int]) -> String {
        guard let p50 = percentile(0.5, of: values), let p99 = percentile(0.99, of: values) else { return "—" }
        return "\(formatDuration(us: p50))/\(formatDuration(us: p99))"
    }
    buffer.put("p50/p99", x: 0, y: top + 1, role: .label)
    buffer.put(
        "hit \(percentiles(latency.hitsUs))  miss \(percentiles(latency.missesUs))", x: 10, y: top + 1, maxWidth: rightX - 11)

    let keyspace =
        state.redis.map { redis in
            redis.keyspaceHits + redis.keyspaceMisses == 0
                ? nil
                : Double(redis.keyspaceHits) / Double(redis.keyspaceHits + redis.keyspaceMisses) * 100
        } ?? nil
    buffer.put("│ Redis-wide keyspace", x: rightX, y: top, role: .label)
    buffer.put(formatPercent(keyspace), x: rightX + 22, y: top)
    buffer.put(
        "│ dashboard reads excluded: \(state.redis.map { formatCount($0.dashboardReads) } ?? "—")", x: rightX, y: top + 1,
        role: .dim)

    let requestRates = history.requestRatePoints
    let peak = requestRates.max() ?? 0
    let peakText = " peak \(Int(peak.rounded()))"
    let sparkWidth = (buffer.width - 5 - 8 - peakText.count) / 2
    buffer.put("hit% ", x: 0, y: top + 2, role: .label)
    buffer.put(sparkline(history.hitRatePoints, maxValue: 100, width: sparkWidth), x: 5, y: top + 2, role: .hit)
    buffer.put("  req/s ", x: 5 + sparkWidth, y: top + 2, role: .label)
    buffer.put(sparkline(requestRates, maxValue: peak, width: sparkWidth), x: 13 + sparkWidth, y: top + 2, role: .fill)
    buffer.put(peakText, x: 13 + 2 * sparkWidth, y: top + 2, role: .dim)
}

/// Hotkeys (or the Redis-down banner) and the status line (or the open prompt).
func drawFooter(_ state: DashboardState, layout: Layout, into buffer: inout ScreenBuffer) {
    if let reason = state.redisDownReason {
        buffer.put("Redis unreachable — retrying (showing last known values): \(reason)", x: 0, y: layout.hotkeysY, role: .error)
    } else if state.failsOrigin {
        buffer.put(
            "STORE READS FAIL (O to restore): expired entries are served STALE within grace, the rest 503", x: 0,
            y: layout.hotkeysY, role: .warn)
    } else {
        buffer.put(
            "?:help q:quit i/I:invalidate w/W:warm /:filter s:sort p:pause L:load O:origin", x: 0,
            y: layout.hotkeysY, role: .dim)
    }
    if case .query(let text, let error)? = state.prompt {
        // Two lines: the query, and under it what is wrong with it, pointing at its column.
        let label = "query (Enter apply, empty clears, Esc keeps the old one): "
        buffer.put((label + text + "_").padded(to: buffer.width), x: 0, y: layout.hotkeysY, role: .warn)
        if let error {
            // The caret under the column; the message after it if it fits, else before it.
            let caretX = min(label.count + error.column - 1, buffer.width - 1)
            let after = "^ \(error.message)", before = "\(error.message) ^"
            let (text, x) = caretX + after.count <= buffer.width ? (after, caretX) : (before, max(0, caretX + 1 - before.count))
            buffer.put(text, x: x, y: layout.statusY, role: .error, maxWidth: buffer.width - x)
        }
    } else if let prompt = state.prompt {
        buffer.put(promptText(prompt), x: 0, y: layout.statusY, role: .warn)
    } else {
        // The last action's result first: the load line is long and would push it off screen.
        let load = state.loadStatus.map { (state.status.isEmpty ? "" : "  │  ") + $0 } ?? ""
        buffer.put(state.status + load, x: 0, y: layout.statusY)
    }
}

private func promptText(_ prompt: Prompt) -> String {
    switch prompt {
    case .filter(let text): "filter keys (Enter apply, Esc clear): \(text)_"
    case .pattern(let text): "invalidate keys matching glob (Enter count, Esc cancel): \(text)_"
    case .counting(let pattern): "counting keys matching \(pattern)…"
    case .confirm(let pattern, let count): "\(count) keys match \(pattern) — invalidate? y/n"
    case .query(let text, _): text
    }
}

/// The hotkeys of one view, then those of every view.
func helpLines(for view: DashboardView) -> [String] {
    let own: [String] =
        switch view {
        case .keys: keysViewHelp
        case .top: ["e            rank by HIT, MISS, FILL, INVALIDATE, COALESCED"]
        case .latency: ["r            all routes, or one route after another"]
        case .routes, .expiry, .loads: []
        }
    return own + commonHelp
}

private let keysViewHelp = [
    "↑/↓ j/k      select key",
    "PgUp/PgDn    page     Home/End  first/last",
    "i            invalidate selected key",
    "I            invalidate keys matching a glob",
    "w            warm selected key",
    "W            warm all known requests",
    "/            filter keys (Enter apply, Esc clear)",
    "s            sort: TTL, hits, hit %, key",
]

private let commonHelp = [
    "1-6 Tab      switch view (Shift-Tab: back)",
    ":            query events (log, Top, Latency)",
    "p            pause/resume the display",
    "L            start/stop the demo load",
    "O            make store reads fail / recover",
    "+ / -        refresh interval longer/shorter",
    "?            this help",
    "q            quit",
]

/// A framed box in the middle of the screen listing the view's hotkeys.
func drawHelp(for view: DashboardView, into buffer: inout ScreenBuffer) {
    let lines = ["CacheScope hotkeys: \(view.title)"] + helpLines(for: view) + ["", "press any key to close"]
    let inner = (lines.map(\.count).max() ?? 0) + 2
    let left = max(0, (buffer.width - inner - 2) / 2), top = max(0, (buffer.height - lines.count - 2) / 2)
    buffer.put("┌" + String(repeating: "─", count: inner) + "┐", x: left, y: top, role: .title)
    for (index, line) in lines.enumerated() {
        buffer.put("│", x: left, y: top + 1 + index, role: .title)
        buffer.put((" " + line).padded(to: inner), x: left + 1, y: top + 1 + index, role: index == 0 ? .title : .normal)
        buffer.put("│", x: left + inner + 1, y: top + 1 + index, role: .title)
    }
    buffer.put("└" + String(repeating: "─", count: inner) + "┘", x: left, y: top + lines.count + 1, role: .title)
}
