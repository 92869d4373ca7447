import CacheCore

/// The most recent stream events, newest first; bounded because only a screenful is ever shown.
struct EventLog {
    static let limit = 200
    private(set) var newestFirst: [CacheEvent] = []

    /// `events` arrive oldest first, as the stream delivers them.
    mutating func record(_ events: [CacheEvent]) {
        newestFirst = Array((events.reversed() + newestFirst).prefix(Self.limit))
    }
}

extension CacheOutcome {
    var role: ColorRole {
        switch self {
        case .hit: .hit
        case .miss: .miss
        case .coalesced: .coalesced
        case .fill: .fill
        case .bypass: .bypass
        case .invalidate: .invalidate
        case .warm: .warm
        case .stale: .warn
        case .refresh: .fill
        case .refused: .warn
        }
    }
}

/// Log rows: time, outcome (in its role), key, latency (deleted count for invalidations), server.
func drawEventLog(_ log: EventLog, into buffer: inout ScreenBuffer, top: Int, rows: Int) {
    let timeWidth = 12, outcomeWidth = 10, latencyWidth = 8, serverWidth = 12
    let keyWidth = max(10, buffer.width - timeWidth - outcomeWidth - latencyWidth - serverWidth - 4)
    let outcomeX = timeWidth + 1, keyX = outcomeX + outcomeWidth + 1, latencyX = keyX + keyWidth + 1
    buffer.put(
        "TIME (UTC)".padded(to: timeWidth) + " " + "EVENT".padded(to: outcomeWidth) + " " + "KEY".padded(to: keyWidth) + " "
            + "LATENCY".rightAligned(to: latencyWidth) + " SERVER", x: 0, y: top, role: .label)
    for (row, event) in log.newestFirst.prefix(max(0, rows - 1)).enumerated() {
        let y = top + 1 + row
        let latency = event.outcome == .invalidate ? event.deleted.map { "\($0) del" } ?? "" : formatDuration(us: event.latencyUs)
        buffer.put(formatClock(ms: event.timestampMs), x: 0, y: y, role: .dim)
        buffer.put(event.outcome.rawValue.uppercased(), x: outcomeX, y: y, role: event.outcome.role)
        buffer.put(event.key.padded(to: keyWidth), x: keyX, y: y)
        buffer.put(latency.rightAligned(to: latencyWidth) + " " + event.server.padded(to: serverWidth), x: latencyX, y: y)
    }
}
