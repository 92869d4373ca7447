import CacheCore
import Foundation

/// The latencies of the most recent answers, by route, for the Latency view: hits (`hit`, `stale`)
/// and misses (`miss`, `coalesced`), as clients saw them.
struct RecentLatencies: Equatable {
    static let limit = 10_000

    struct Sample: Equatable {
        let route: String
        let isHit: Bool
        let latencyUs: Int
    }

    private(set) var samples: [Sample] = []

    mutating func record(_ events: [CacheEvent]) {
        let new = events.compactMap { event -> Sample? in
            switch event.outcome {
            case .hit, .stale: Sample(route: event.route, isHit: true, latencyUs: event.latencyUs)
            case .miss, .coalesced: Sample(route: event.route, isHit: false, latencyUs: event.latencyUs)
            default: nil
            }
        }
        samples = Array((samples + new).suffix(Self.limit))
    }

    func of(route: String?) -> [Sample] { route.map { name in samples.filter { $0.route == name } } ?? samples }
}

/// A histogram on a log-scale axis from 1 µs to 10 s (seven decades) in `columns` buckets.
struct LatencyHistogram: Equatable {
    static let decades = 7.0
    let columns: Int
    private(set) var hits: [Int]
    private(set) var misses: [Int]

    init(_ samples: [RecentLatencies.Sample], columns: Int) {
        self.columns = max(1, columns)
        hits = Array(repeating: 0, count: self.columns)
        misses = hits
        for sample in samples {
            let column = Self.column(ofMicroseconds: sample.latencyUs, columns: self.columns)
            if sample.isHit { hits[column] += 1 } else { misses[column] += 1 }
        }
    }

    /// Where a latency falls: 1 µs or less in the first column, 10 s or more in the last.
    static func column(ofMicroseconds us: Int, columns: Int) -> Int {
        let position = log10(Double(max(1, us))) / decades
        return min(columns - 1, max(0, Int(position * Double(columns))))
    }

    /// The first column of each decade: 1µs, 10µs, 100µs, 1ms, 10ms, 100ms, 1s, 10s.
    var decadeColumns: [(column: Int, label: String)] {
        ["1µs", "10µs", "100µs", "1ms", "10ms", "100ms", "1s", "10s"].enumerated().map { index, label in
            (min(columns - 1, Int(Double(index) / Self.decades * Double(columns))), label)
        }
    }
}

/// varnishhist's picture: one column per bucket, hits as `|`, misses as `#` stacked on them.
func drawLatencyView(_ state: DashboardState, layout: Layout, into buffer: inout ScreenBuffer) {
    let route = state.latencyRoute
    let samples = state.recentLatencies.of(route: route)
    var y = layout.viewTop
    func percentiles(_ values: [Int]) -> String {
        guard let p50 = percentile(0.5, of: values), let p99 = percentile(0.99, of: values) else { return "—" }
        return "\(formatDuration(us: p50))/\(formatDuration(us: p99))"
    }
    let hitsUs = samples.filter(\.isHit).map(\.latencyUs), missesUs = samples.filter { !$0.isHit }.map(\.latencyUs)
    buffer.put(
        "latency of the last \(samples.count) answers, \(route ?? "all routes") (r: next route)   p50/p99 hit \(percentiles(hitsUs)) miss \(percentiles(missesUs))",
        x: 0, y: y, role: .label, maxWidth: buffer.width)
    y += 1
    buffer.put("| hit", x: 0, y: y, role: .hit)
    buffer.put("# miss", x: 6, y: y, role: .miss)
    y += 1
    let histogram = LatencyHistogram(samples, columns: buffer.width)
    let chartRows = max(1, layout.viewBottom - y)
    let peak = max(1, zip(histogram.hits, histogram.misses).map { $0 + $1 }.max() ?? 0)
    for column in 0..<histogram.columns {
        let hitRows = histogram.hits[column] * chartRows / peak + (histogram.hits[column] > 0 ? 1 : 0)
        let missRows = histogram.misses[column] * chartRows / peak + (histogram.misses[column] > 0 ? 1 : 0)
        for row in 0..<min(chartRows, hitRows + missRows) {
            let isHit = row < hitRows
            buffer.put(isHit ? "|" : "#", x: column, y: y + chartRows - 1 - row, role: isHit ? .hit : .miss)
        }
    }
    let axisY = y + chartRows
    for (column, label) in histogram.decadeColumns where column + label.count <= buffer.width {
        buffer.put(label, x: column, y: axisY, role: .dim)
    }
}
