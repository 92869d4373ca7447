import CacheCore

/// Cumulative route totals sampled at each poll. Counters only ever add up, so every window and
/// sparkline point is the difference between two samples; a few minutes of samples are kept.
struct RateHistory {
    struct Sample {
        var timeMs: Int64
        var totals: RouteCounts
    }

    static let spanMs: Int64 = 300_000
    /// Caps memory even if the clock misbehaves (5 minutes of 250 ms polls fit).
    static let maxSamples = 1300

    private(set) var samples: [Sample] = []

    var latestTotals: RouteCounts? { samples.last?.totals }

    mutating func record(timeMs: Int64, totals: RouteCounts) {
        samples.append(Sample(timeMs: timeMs, totals: totals))
        // One sample older than the span is kept so the longest window still has a start.
        let horizon = timeMs - Self.spanMs
        let stale = samples.dropLast().prefix { $0.timeMs <= horizon }.count - 1
        let excess = samples.count - Self.maxSamples
        let drop = max(stale, excess, 0)
        if drop > 0 { samples.removeFirst(drop) }
    }

    /// App-level hit rate over the last `windowMs`, measured from the newest sample at or before
    /// the window start (or the oldest kept while the history is shorter than the window).
    func hitRate(windowMs: Int64) -> Double? {
        guard let last = samples.last, samples.count > 1 else { return nil }
        let start = samples.last { $0.timeMs <= last.timeMs - windowMs } ?? samples[0]
        return Self.delta(from: start, to: last).hitRate
    }

    /// One point per poll interval: the hit rate in percent, nil when nothing was looked up.
    var hitRatePoints: [Double?] { intervals.map { $0.counts.hitRate } }

    /// One point per poll interval: hits, misses and bypasses per second.
    var requestRatePoints: [Double] {
        intervals.map { interval in
            let requests = interval.counts.hits + interval.counts.misses + interval.counts.bypasses
            return interval.seconds > 0 ? Double(requests) / interval.seconds : 0
        }
    }

    private var intervals: [(counts: RouteCounts, seconds: Double)] {
        zip(samples, samples.dropFirst()).map { older, newer in
            (Self.delta(from: older, to: newer), Double(newer.timeMs - older.timeMs) / 1000)
        }
    }

    /// Field-wise growth; a counter that went down (Redis flushed) counts as no growth.
    private static func delta(from older: Sample, to newer: Sample) -> RouteCounts {
        var growth = RouteCounts()
        for field in CounterField.allCases { growth[field] = max(0, newer.totals[field] - older.totals[field]) }
        return growth
    }
}

/// Latencies of the most recent hits and misses (coalesced waits count as misses, as clients see them).
struct LatencyStats {
    static let limit = 1000

    private(set) var hitsUs: [Int] = []
    private(set) var missesUs: [Int] = []

    mutating func record(_ events: [CacheEvent]) {
        hitsUs = Array((hitsUs + events.filter { $0.outcome == .hit }.map(\.latencyUs)).suffix(Self.limit))
        missesUs = Array(
            (missesUs + events.filter { [.miss, .coalesced].contains($0.outcome) }.map(\.latencyUs)).suffix(Self.limit))
    }
}

/// Nearest-rank percentile (`fraction` in 0...1); nil for no values.
func percentile(_ fraction: Double, of values: [Int]) -> Int? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let rank = Int((fraction * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
}
