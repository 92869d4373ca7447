/// Small text builders shared by the panels. Pure functions, so each is tested on its own.

private let sparkLevels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

/// The last `width` values as block characters scaled to `maxValue`; nil (no data) is a blank.
public func sparkline(_ values: [Double?], maxValue: Double, width: Int) -> String {
    let shown = values.suffix(max(0, width)).map { value -> Character in
        guard let value else { return " " }
        guard maxValue > 0 else { return sparkLevels[0] }
        let level = Int((min(max(value / maxValue, 0), 1) * Double(sparkLevels.count - 1)).rounded())
        return sparkLevels[level]
    }
    return String(shown).padded(to: width)
}

/// A bar `width` wide, `fraction` of it filled: the TTL left against the key's TTL total.
public func bar(fraction: Double, width: Int) -> String {
    let filled = Int((min(max(fraction, 0), 1) * Double(width)).rounded())
    return String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
}

/// Remaining TTL in whole seconds, rounded up so a live key never reads 0: `42s`, `300s`;
/// hours beyond what a six-column cell holds.
public func formatTTL(ms: Int) -> String {
    let seconds = (max(0, ms) + 999) / 1000
    return seconds < 100_000 ? "\(seconds)s" : "\(seconds / 3600)h"
}

/// Counts compact for a narrow column: `99999`, then `120k`, `1.2M`, `3.4G`.
public func formatCount(_ count: Int) -> String {
    if count < 100_000 { return String(count) }
    if count < 1_000_000 { return "\(count / 1000)k" }
    if count < 1_000_000_000 { return "\(oneDecimal(Double(count) / 1e6))M" }
    return "\(oneDecimal(Double(count) / 1e9))G"
}

/// Sizes in binary units, compact for a narrow column: `512B`, `1.5KiB`, `3.0MiB`.
public func formatBytes(_ bytes: Int) -> String {
    if bytes < 1024 { return "\(bytes)B" }
    let units = ["KiB", "MiB", "GiB"]
    var value = Double(bytes) / 1024, index = 0
    while value >= 1024 && index < units.count - 1 {
        value /= 1024
        index += 1
    }
    return "\(oneDecimal(value))\(units[index])"
}

/// Latencies given in microseconds: `850µs`, `1.2ms`, `35ms`, `2.5s`.
public func formatDuration(us: Int) -> String {
    if us < 1000 { return "\(us)µs" }
    if us < 10_000 { return "\(oneDecimal(Double(us) / 1000))ms" }
    if us < 1_000_000 { return "\((us + 500) / 1000)ms" }
    return "\(oneDecimal(Double(us) / 1_000_000))s"
}

/// Uptime in its two largest units: `42s`, `5m12s`, `1h02m`, `3d04h`.
public func formatUptime(seconds: Int) -> String {
    if seconds < 60 { return "\(seconds)s" }
    if seconds < 3600 { return "\(seconds / 60)m\(twoDigits(seconds % 60))s" }
    if seconds < 86_400 { return "\(seconds / 3600)h\(twoDigits(seconds % 3600 / 60))m" }
    return "\(seconds / 86_400)d\(twoDigits(seconds % 86_400 / 3600))h"
}

/// Wall-clock time of day in UTC, `HH:MM:SS.mmm`, from Unix milliseconds.
public func formatClock(ms: Int64) -> String {
    let dayMs = Int(((ms % 86_400_000) + 86_400_000) % 86_400_000)
    let seconds = dayMs / 1000
    let millis = dayMs % 1000
    return "\(twoDigits(seconds / 3600)):\(twoDigits(seconds / 60 % 60)):\(twoDigits(seconds % 60))."
        + String(String(millis + 1000).dropFirst())
}

/// A percentage with one decimal, or `—` when there is nothing to divide.
public func formatPercent(_ percent: Double?) -> String {
    guard let percent else { return "—" }
    return "\(oneDecimal(percent))%"
}

func oneDecimal(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(abs(tenths % 10))"
}

private func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

extension String {
    /// Left-aligned in exactly `width` columns: cut with `…` when too long.
    func padded(to width: Int) -> String {
        guard width > 0 else { return "" }
        if count > width { return prefix(width - 1) + "…" }
        return self + String(repeating: " ", count: width - count)
    }

    /// Right-aligned in exactly `width` columns.
    func rightAligned(to width: Int) -> String {
        count >= width ? String(suffix(width)) : String(repeating: " ", count: width - count) + self
    }
}
