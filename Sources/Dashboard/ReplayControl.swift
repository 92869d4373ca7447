/// Where a replay is in its recording and how fast it goes: the recording's own clock, advanced by
/// wall time × speed unless paused. Pure, so a replay's position is exact: the screen at a given
/// position is the same in every replay of the file.
public struct ReplayControl: Sendable {
    public let entries: [Recording.Entry]
    /// The next entry to feed.
    public private(set) var next = 0
    public private(set) var speed = 1.0
    public private(set) var isPaused = false
    /// Recording time reached, in Unix ms of the recording.
    private var clockMs: Double

    public static let speeds = (min: 1.0 / 64, max: 64.0)

    public init(entries: [Recording.Entry], speed: Double = 1) {
        self.entries = entries
        self.speed = min(max(speed, Self.speeds.min), Self.speeds.max)
        clockMs = Double(entries.first?.t ?? 0)
    }

    /// What a key asks of the replay.
    public enum Action: Equatable, Sendable {
        /// Feed these entries (a step forward).
        case feed(range: Range<Int>)
        /// Start afresh and feed the entries before `next` (a step back).
        case rebuild(upTo: Int)
        /// Nothing to feed (pause, speed).
        case none
    }

    /// Moves the clock on by `wallMs` and returns the entries now due, unless paused.
    public mutating func advance(wallMs: Double) -> Range<Int> {
        guard !isPaused else { return next..<next }
        clockMs += wallMs * speed
        let start = next
        while next < entries.count, Double(entries[next].t) <= clockMs { next += 1 }
        return start..<next
    }

    /// `space` pauses and resumes, `<` and `>` halve and double the speed, `]` and `[` step one poll
    /// forward and back while paused; nil for any other key (the dashboard's own).
    public mutating func handle(_ key: KeyPress) -> Action? {
        switch key {
        case .char(" "):
            isPaused.toggle()
            if !isPaused, next > 0 { clockMs = Double(entries[next - 1].t) }
            return Action.none
        case .char("<"):
            speed = max(speed / 2, Self.speeds.min)
            return Action.none
        case .char(">"):
            speed = min(speed * 2, Self.speeds.max)
            return Action.none
        case .char("]"):
            guard isPaused, next < entries.count else { return Action.none }
            next += 1
            return .feed(range: (next - 1)..<next)
        case .char("["):
            guard isPaused, next > 1 else { return Action.none }
            next -= 1
            return .rebuild(upTo: next)
        default:
            return nil
        }
    }

    /// `replay 12/340 ×2 PAUSED`, for the status line.
    public var status: String {
        let speedText = speed >= 1 ? "×\(Int(speed))" : "×1/\(Int((1 / speed).rounded()))"
        return "replay \(next)/\(entries.count) \(speedText)\(isPaused ? " PAUSED" : "")"
            + "  (space pause, < > speed, [ ] step while paused)"
    }

    public var isFinished: Bool { next >= entries.count }
}
