/// Durations as people write them on a command line: `200ms`, `1s`, `1.5s`, `2m`, `0`.
public enum DurationText {
    public static func parse(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("s", 1), ("m", 60), ("h", 3600)]
        let trimmed = text.trimmingPrefix(" ")
        if trimmed == "0" { return .zero }
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            guard let number = Double(trimmed.dropLast(suffix.count)), number >= 0, number.isFinite else { return nil }
            return .nanoseconds(Int64((number * scale * 1e9).rounded()))
        }
        return nil
    }

    /// Compact text for a duration: `200ms`, `1.5s`, `0`.
    public static func format(_ duration: Duration) -> String {
        let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        if ms == 0 { return "0" }
        if ms < 1000 { return "\(Int(ms.rounded()))ms" }
        let tenths = (ms / 100).rounded()
        return tenths.truncatingRemainder(dividingBy: 10) == 0 ? "\(Int(tenths / 10))s" : "\(tenths / 10)s"
    }
}

extension Duration {
    /// Whole microseconds (truncated), for event latencies and timers.
    public var wholeMicroseconds: Int { Int(components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000) }
    /// Whole milliseconds (truncated), for JSON and stream fields.
    public var wholeMilliseconds: Int { wholeMicroseconds / 1000 }
}
