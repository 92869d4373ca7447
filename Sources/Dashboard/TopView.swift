import CacheCore
import Foundation

/// The event kinds the Top view ranks keys by (`e` cycles them).
enum TopKind: CaseIterable, Equatable, Sendable {
    case hit, miss, fill, invalidate, coalesced

    var label: String { "\(self)".uppercased() }

    /// `MISS` counts what reached the store: misses; `FILL` counts every store (fills, warms, refreshes).
    func counts(_ outcome: CacheOutcome) -> Bool {
        switch self {
        case .hit: outcome == .hit || outcome == .stale
        case .miss: outcome == .miss
        case .fill: outcome == .fill || outcome == .warm || outcome == .refresh
        case .invalidate: outcome == .invalidate
        case .coalesced: outcome == .coalesced
        }
    }

    var next: TopKind { Self.allCases[(Self.allCases.firstIndex(of: self)! + 1) % Self.allCases.count] }
}

/// Keys ranked by a decaying rate, as varnishtop ranks log entries: each poll's events add to a
/// key's score, which halves every `halfLifeMs`, so a key that stops appearing sinks within about
/// a minute (six half-lives: under 2 % of its score). The clock is the polls' own.
struct TopList: Equatable {
    struct Entry: Equatable {
        var score: Double
        var count: Int
    }

    static let halfLifeMs = 10_000.0
    /// Below this a key is dropped: it has not appeared for minutes.
    static let forgetBelow = 0.01

    private(set) var entries: [TopKind: [String: Entry]] = [:]
    private var lastMs: Int64?

    mutating func record(_ events: [CacheEvent], atMs nowMs: Int64) {
        if let lastMs, nowMs > lastMs {
            let factor = pow(0.5, Double(nowMs - lastMs) / Self.halfLifeMs)
            for kind in TopKind.allCases {
                entries[kind] = entries[kind]?.compactMapValues { entry in
                    let decayed = Entry(score: entry.score * factor, count: entry.count)
                    return decayed.score < Self.forgetBelow ? nil : decayed
                }
            }
        }
        lastMs = max(lastMs ?? nowMs, nowMs)
        for event in events {
            for kind in TopKind.allCases where kind.counts(event.outcome) {
                entries[kind, default: [:]][event.key, default: Entry(score: 0, count: 0)].score += 1
                entries[kind, default: [:]][event.key, default: Entry(score: 0, count: 0)].count += 1
            }
        }
    }

    /// Events per second a score stands for: in a steady stream of `r` per second it settles at
    /// `r × halfLife / ln 2`.
    static func rate(ofScore score: Double) -> Double { score * log(2) / (halfLifeMs / 1000) }

    /// The keys of `kind`, highest rate first (ties by name), with their rate, count and share.
    func ranked(_ kind: TopKind) -> [(key: String, rate: Double, count: Int, share: Double)] {
        let all = entries[kind] ?? [:]
        let total = all.values.reduce(0) { $0 + $1.score }
        return all.sorted { $0.value.score != $1.value.score ? $0.value.score > $1.value.score : $0.key < $1.key }
            .map {
                (
                    key: $0.key, rate: Self.rate(ofScore: $0.value.score), count: $0.value.count,
                    share: total > 0 ? $0.value.score / total : 0
                )
            }
    }
}

func drawTopView(_ state: DashboardState, layout: Layout, into buffer: inout ScreenBuffer) {
    var y = layout.viewTop
    let kinds = TopKind.allCases.map { $0 == state.topKind ? "[\($0.label)]" : $0.label }.joined(separator: " ")
    buffer.put("keys by \(state.topKind.label) rate, decaying (half-life 10 s)   e: \(kinds)", x: 0, y: y, role: .label)
    y += 1
    let keyWidth = buffer.width - 30
    buffer.put(
        "KEY".padded(to: keyWidth) + "RATE/s".rightAligned(to: 10) + "COUNT".rightAligned(to: 10) + "SHARE".rightAligned(to: 8),
        x: 0, y: y, role: .label)
    y += 1
    let rows = state.top.ranked(state.topKind)
    if rows.isEmpty { buffer.put("no \(state.topKind.label) events yet", x: 0, y: y, role: .dim) }
    for row in rows.prefix(max(0, layout.viewBottom - y + 1)) {
        buffer.put(
            row.key.padded(to: keyWidth) + String(format: "%.2f", row.rate).rightAligned(to: 10)
                + formatCount(row.count).rightAligned(to: 10) + String(format: "%.1f%%", row.share * 100).rightAligned(to: 8),
            x: 0, y: y)
        y += 1
    }
}
