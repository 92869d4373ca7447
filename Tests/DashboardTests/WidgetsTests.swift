import Testing

@testable import Dashboard

@Test func sparklineScalesToMaximumAndPadsWithBlanks() {
    #expect(sparkline([0, 50, 100, nil], maxValue: 100, width: 6) == "▁▅█   ")
    #expect(sparkline([10, 20, 30, 40], maxValue: 40, width: 2) == "▆█")
    #expect(sparkline([3, 0], maxValue: 0, width: 2) == "▁▁")
}

@Test func ttlBarShrinksWithRemainingFraction() {
    #expect(bar(fraction: 1, width: 8) == "████████")
    #expect(bar(fraction: 0.5, width: 8) == "████░░░░")
    #expect(bar(fraction: 0.1, width: 8) == "█░░░░░░░")
    #expect(bar(fraction: 0, width: 8) == "░░░░░░░░")
}

@Test func formattersUseCompactUnits() {
    #expect(formatTTL(ms: 0) == "0s")
    #expect(formatTTL(ms: 1) == "1s")
    #expect(formatTTL(ms: 59_000) == "59s")
    #expect(formatTTL(ms: 245_000) == "245s")
    #expect(formatTTL(ms: 99_999_000) == "99999s")
    #expect(formatTTL(ms: 360_000_000) == "100h")
    #expect(formatBytes(512) == "512B")
    #expect(formatBytes(1536) == "1.5KiB")
    #expect(formatBytes(3 * 1024 * 1024) == "3.0MiB")
    #expect(formatDuration(us: 850) == "850µs")
    #expect(formatDuration(us: 1_250) == "1.3ms")
    #expect(formatDuration(us: 35_400) == "35ms")
    #expect(formatDuration(us: 2_500_000) == "2.5s")
    #expect(formatUptime(seconds: 42) == "42s")
    #expect(formatUptime(seconds: 90_000) == "1d01h")
    #expect(formatClock(ms: t0 + 123) == "22:13:20.123")
    #expect(formatPercent(nil) == "—")
    #expect(formatPercent(200.0 / 3) == "66.7%")
}

@Test func percentileIsNearestRank() {
    let values = Array(1...100)
    #expect(percentile(0.5, of: values.shuffled()) == 50)
    #expect(percentile(0.99, of: values) == 99)
    #expect(percentile(0.99, of: [7]) == 7)
    #expect(percentile(0.5, of: []) == nil)
}
