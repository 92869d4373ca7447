/// How the keys table is ordered; `s` steps through them in this order.
enum KeySort: CaseIterable, Sendable {
    /// Soonest to expire first; keys with unknown TTL last.
    case ttl
    case hits
    case hitRate
    case key

    var label: String {
        switch self {
        case .ttl: "TTL"
        case .hits: "hits"
        case .hitRate: "hit %"
        case .key: "key"
        }
    }

    var next: KeySort {
        let all = KeySort.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }
}

/// The table's rows: the filter (a case-insensitive substring of the key) applied, then the sort,
/// with the key name breaking ties so rows do not jump between frames.
func tableRows(_ store: KeyStore, sort: KeySort, filter: String, nowMs: Int64) -> [TrackedKey] {
    let needle = filter.lowercased()
    let shown = store.keys.values.filter { needle.isEmpty || $0.name.lowercased().contains(needle) }
    return shown.sorted { a, b in
        switch sort {
        case .ttl:
            let (ra, rb) = (a.remainingMs(at: nowMs) ?? .max, b.remainingMs(at: nowMs) ?? .max)
            if ra != rb { return ra < rb }
        case .hits:
            if a.hits != b.hits { return a.hits > b.hits }
        case .hitRate:
            let (pa, pb) = (a.hitPercent ?? -1, b.hitPercent ?? -1)
            if pa != pb { return pa > pb }
        case .key:
            break
        }
        return a.name < b.name
    }
}

/// Column widths for a screen width; the key column takes what the fixed columns leave.
struct KeyColumns {
    static let route = 14, hits = 5, misses = 5, hitPercent = 4, size = 8, ttl = 6, ttlBar = 8
    static let fixed = route + hits + misses + hitPercent + size + ttl + ttlBar + 7
    let key: Int

    init(width: Int) { key = max(10, width - Self.fixed) }

    /// The column titles, the key column's title given (it carries the count, filter and sort).
    func header(keyTitle: String) -> String {
        keyTitle.padded(to: key) + " " + "ROUTE".padded(to: Self.route) + " " + "HITS".rightAligned(to: Self.hits) + " "
            + "MISS".rightAligned(to: Self.misses) + " " + "HIT%".rightAligned(to: Self.hitPercent) + " "
            + "SIZE".rightAligned(to: Self.size) + " " + "TTL".rightAligned(to: Self.ttl)
    }

    /// Everything left of the TTL bar; the bar is drawn separately in its own role.
    func text(of key: TrackedKey, nowMs: Int64) -> String {
        let percent = key.hitPercent.map { "\(Int($0.rounded()))%" } ?? "—"
        return key.name.padded(to: self.key) + " " + key.route.padded(to: Self.route) + " "
            + formatCount(key.hits).rightAligned(to: Self.hits) + " " + formatCount(key.misses).rightAligned(to: Self.misses)
            + " "
            + percent.rightAligned(to: Self.hitPercent) + " "
            + (key.sizeBytes.map(formatBytes) ?? "—").rightAligned(to: Self.size) + " "
            + (key.remainingMs(at: nowMs).map { formatTTL(ms: $0) } ?? "—").rightAligned(to: Self.ttl) + " "
    }

    /// The shrinking TTL bar, or nil when either the remaining time or the total is unknown.
    func ttlBar(remainingMs: Int?, totalMs: Int?) -> String? {
        guard let remainingMs, let totalMs, totalMs > 0 else { return nil }
        return bar(fraction: Double(remainingMs) / Double(totalMs), width: Self.ttlBar)
    }
}
