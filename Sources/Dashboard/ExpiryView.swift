/// How many tracked keys expire in each of the next seconds, from the TTLs the table counts down.
struct ExpiryTimeline: Equatable {
    /// Keys expiring in second 0, 1, … from now.
    let buckets: [Int]
    /// Keys with a known TTL, inside the horizon or not.
    let keysWithTTL: Int
    /// Of those, the ones expiring after the last bucket.
    let later: Int

    /// A second holding more than this share of the keys with a known TTL is a cliff: they expire
    /// together and their misses arrive together (a warm-up without `--ttl-jitter` makes one).
    static let cliffShare = 0.2

    init(remainingMs: [Int], seconds: Int) {
        var buckets = Array(repeating: 0, count: max(0, seconds))
        var later = 0
        for remaining in remainingMs {
            let second = remaining / 1000
            if second < buckets.count { buckets[second] += 1 } else { later += 1 }
        }
        self.buckets = buckets
        self.keysWithTTL = remainingMs.count
        self.later = later
    }

    /// The seconds that hold more than `cliffShare` of the keys (two keys at least: one key alone
    /// in a second is no cliff however few keys there are).
    var cliffs: [Int] {
        buckets.indices.filter {
            buckets[$0] >= 2 && Double(buckets[$0]) > Self.cliffShare * Double(keysWithTTL)
        }
    }
}

/// A bar per second across the width, the count axis on the left, decade marks below, and each
/// cliff named.
func drawExpiryView(_ state: DashboardState, layout: Layout, into buffer: inout ScreenBuffer) {
    let axisWidth = 6
    let seconds = buffer.width - axisWidth
    let remaining = state.keys.keys.values.compactMap { $0.remainingMs(at: state.nowMs) }
    let timeline = ExpiryTimeline(remainingMs: remaining, seconds: seconds)
    var y = layout.viewTop
    buffer.put(
        "keys expiring in each of the next \(seconds) s: \(timeline.keysWithTTL) with a known TTL, \(timeline.later) later",
        x: 0, y: y, role: .label)
    y += 1
    let cliffs = timeline.cliffs
    let cliffText =
        cliffs.isEmpty
        ? "no cliff: no second holds more than 20% of them"
        : cliffs.map {
            "CLIFF at +\($0)s: \(timeline.buckets[$0]) keys (\(timeline.buckets[$0] * 100 / max(1, timeline.keysWithTTL))%)"
        }
        .joined(separator: "  ")
    buffer.put(cliffText, x: 0, y: y, role: cliffs.isEmpty ? .dim : .warn)
    y += 1
    let chartRows = max(1, layout.viewBottom - y)
    let peak = max(1, timeline.buckets.max() ?? 0)
    let levels: [Character] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    for row in 0..<chartRows {
        let lineY = y + row
        // Eighths of a row: the top row is the highest, the bottom one counts from zero.
        let floorEighths = (chartRows - 1 - row) * 8
        if row == 0 { buffer.put(String(peak).rightAligned(to: axisWidth - 1), x: 0, y: lineY, role: .dim) }
        if row == chartRows - 1 { buffer.put("0".rightAligned(to: axisWidth - 1), x: 0, y: lineY, role: .dim) }
        for (second, count) in timeline.buckets.enumerated() where count > 0 {
            let eighths = max(1, count * chartRows * 8 / peak)
            let level = min(8, max(0, eighths - floorEighths))
            guard level > 0 else { continue }
            buffer.put(String(levels[level]), x: axisWidth + second, y: lineY, role: cliffs.contains(second) ? .warn : .bar)
        }
    }
    let axisY = y + chartRows
    for second in stride(from: 0, to: seconds, by: 10) {
        buffer.put("|\(second)s", x: axisWidth + second, y: axisY, role: .dim)
    }
}
