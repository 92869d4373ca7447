import CacheCore
import Foundation
import Metrics
import Synchronization

/// Records every cache outcome in memory, on the request path, for the publisher to ship in
/// batches. It also keeps this server's own totals (for `/cache/stats`) and feeds the
/// Prometheus counters, labelled by route and outcome, never by key.
public final class EventRecorder: Sendable {
    public let serverID: String
    private struct State {
        var batch = EventBatch()
        var totals: [String: RouteCounts] = [:]
        var counters: [CounterLabel: Counter] = [:]
    }
    private let state = Mutex(State())

    /// Prometheus labels of one counter (a struct, so the request path builds no string).
    private struct CounterLabel: Hashable {
        let route: String
        let outcome: CacheOutcome
    }

    public init(serverID: String) { self.serverID = serverID }

    public func record(
        _ outcome: CacheOutcome, key: String, route: String, ttlMs: Int? = nil,
        latency: Duration = .zero, deleted: Int? = nil, request: String? = nil, status: Int? = nil, loader: String? = nil,
        cause: String? = nil, reason: String? = nil
    ) {
        let event = CacheEvent(
            outcome: outcome, key: key, route: route, ttlMs: ttlMs, latencyUs: latency.wholeMicroseconds,
            deleted: deleted, request: request, status: status, loader: loader, cause: cause, reason: reason,
            server: serverID, timestampMs: Self.nowMs())
        let counter = state.withLock { state -> Counter in
            state.batch.record(event)
            if outcome != .invalidate {
                state.totals[route, default: RouteCounts()].record(event)
            }
            let label = CounterLabel(route: route, outcome: outcome)
            if let existing = state.counters[label] { return existing }
            let made = Counter(
                label: "cachescope_cache_events_total", dimensions: [("route", route), ("outcome", outcome.rawValue)])
            state.counters[label] = made
            return made
        }
        counter.increment()
    }

    /// Takes everything recorded since the last call.
    public func drain() -> EventBatch {
        state.withLock { state in
            defer { state.batch = EventBatch(eventLimit: state.batch.eventLimit) }
            return state.batch
        }
    }

    /// Gives back a batch that could not be published, so its counts are not lost.
    public func restore(_ unpublished: EventBatch) {
        state.withLock { $0.batch.merge(unpublished: unpublished) }
    }

    /// What this server has counted since it started, per route.
    public var totals: [String: RouteCounts] { state.withLock { $0.totals } }

    static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
