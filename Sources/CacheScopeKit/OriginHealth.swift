import Foundation
import Logging
import Synchronization

/// Whether the origin (the app's store) answers, as the last load, write or probe found it.
/// Loads report themselves (`ResponseCache`); an app reports its writes and any probe of its own.
/// A change is logged once each way, and `/health` and `/cache/stats` show it.
public final class OriginHealth: Sendable {
    public struct State: Sendable, Equatable {
        public var isUp = true
        /// Failures since the origin last answered.
        public var consecutiveFailures = 0
        /// Failures since start.
        public var failures = 0
        public var lastError: String?
        /// When it went down (Unix ms), while it is down.
        public var downSinceMs: Int64?
    }

    private let state = Mutex(State())
    private let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public var current: State { state.withLock { $0 } }

    public func succeeded() {
        let wasDown: State? = state.withLock { state in
            guard !state.isUp else { return nil }
            defer {
                state.isUp = true
                state.consecutiveFailures = 0
                state.downSinceMs = nil
            }
            return state
        }
        if let wasDown, let since = wasDown.downSinceMs {
            let seconds = Double(Self.nowMs() - since) / 1000
            logger.info(
                "origin answers again", metadata: ["down_for_s": "\(seconds)", "failures": "\(wasDown.consecutiveFailures)"])
        }
    }

    public func failed(_ error: any Error) {
        let text = String(describing: error)
        let wentDown = state.withLock { state in
            defer {
                state.isUp = false
                state.consecutiveFailures += 1
                state.failures += 1
                state.lastError = text
            }
            if state.isUp { state.downSinceMs = Self.nowMs() }
            return state.isUp
        }
        if wentDown {
            logger.warning(
                "origin unavailable: cached entries within grace are served STALE, other reads are 503",
                metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    /// The `/cache/stats` form.
    var stats: [String: Any] {
        let state = current
        return [
            "state": state.isUp ? "up" : "down", "failures": state.failures, "last_error": state.lastError as Any,
            "down_since_ms": state.downSinceMs as Any,
        ]
    }

    private static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
