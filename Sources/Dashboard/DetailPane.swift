import CacheCore

/// The selected key in detail, in place of the event log (`Enter` opens it, `Esc` closes it):
/// its request and route, TTL and age, size and ETag, fills and the last load's time, hits and
/// misses by cause, tags, what happened to it last, and the first lines of its body.
func drawDetailPane(_ state: DashboardState, key: String, layout: Layout, into buffer: inout ScreenBuffer) {
    let top = layout.logTop
    let rows = layout.logRows
    let title = "─ \(key) (Esc closes) "
    buffer.put(title + String(repeating: "─", count: max(0, buffer.width - title.count)), x: 0, y: top, role: .title)
    guard let inspection = state.inspection else {
        buffer.put("reading \(key) from Redis…", x: 0, y: top + 1, role: .dim)
        return
    }
    let tracked = state.keys.keys[key]
    let counts = inspection.counts
    func duration(_ ms: Int?) -> String { ms.map { DurationText.format(.milliseconds($0)) } ?? "—" }
    let age = tracked?.storedTTLms.flatMap { total in inspection.ttlMs.map { max(0, total - $0) } }
    let causes = MissCause.allCases.filter { counts[.counting(miss: $0)] > 0 }
        .map { "\($0.rawValue) \(counts[.counting(miss: $0)])" }.joined(separator: ", ")
    var lines: [(String, String)] = [
        ("request", "\(inspection.request ?? "—")   route \(tracked?.route ?? "—")"),
        (
            "TTL",
            inspection.ttlMs == nil
                ? "gone from Redis"
                : "\(duration(inspection.ttlMs)) left   age \(duration(age))   size \(inspection.sizeBytes.map(formatBytes) ?? "—")   ETag \(inspection.entityTag ?? "—")"
        ),
        ("fills", "\(counts.fills)   last load \(inspection.loadUs.map { formatDuration(us: $0) } ?? "—")"),
        ("lookups", "hits \(counts.hits)   misses \(counts.misses)\(causes.isEmpty ? "" : " (\(causes))")"),
        ("last", [inspection.lastEvent, inspection.reason.map { "by \($0)" }].compactMap { $0 }.joined(separator: " ")),
        ("tags", inspection.tags.isEmpty ? "none" : inspection.tags.joined(separator: "  ")),
    ]
    if lines[4].1.isEmpty { lines[4].1 = "—" }
    var y = top + 1
    for (label, value) in lines where y < top + rows {
        buffer.put(label, x: 0, y: y, role: .label)
        buffer.put(value, x: 10, y: y, maxWidth: buffer.width - 10)
        y += 1
    }
    for line in inspection.bodyLines where y < top + rows {
        buffer.put(line, x: 2, y: y, role: .dim, maxWidth: buffer.width - 2)
        y += 1
    }
}
