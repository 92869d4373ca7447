/// The counter fields, as stored in the route and key hashes.
public enum CounterField: String, Sendable, CaseIterable {
    case hits, misses, coalesced, fills
    case originFetches = "origin_fetches"
    case bypasses
    /// Hits answered with a cached 404 (also counted in `hits`).
    case negativeHits = "negative_hits"
    /// Answers from an entry past its TTL, within grace (`X-Cache: STALE`): served from the cache.
    case stale
}

/// Counts per route and per key for one route, as added up between two publishes.
public struct RouteCounts: Sendable, Equatable {
    public var hits = 0, misses = 0, coalesced = 0, fills = 0, originFetches = 0, bypasses = 0, negativeHits = 0, stale = 0

    public init() {}

    public subscript(field: CounterField) -> Int {
        get {
            switch field {
            case .hits: hits
            case .misses: misses
            case .coalesced: coalesced
            case .fills: fills
            case .originFetches: originFetches
            case .bypasses: bypasses
            case .negativeHits: negativeHits
            case .stale: stale
            }
        }
        set {
            switch field {
            case .hits: hits = newValue
            case .misses: misses = newValue
            case .coalesced: coalesced = newValue
            case .fills: fills = newValue
            case .originFetches: originFetches = newValue
            case .bypasses: bypasses = newValue
            case .negativeHits: negativeHits = newValue
            case .stale: stale = newValue
            }
        }
    }

    public static func + (lhs: RouteCounts, rhs: RouteCounts) -> RouteCounts {
        var sum = lhs
        for field in CounterField.allCases { sum[field] += rhs[field] }
        return sum
    }

    /// Answers served from the cache (hits and stale ones) over all lookups, in percent:
    /// `(hits + stale) / (hits + stale + misses)`; nil before the first lookup.
    public var hitRate: Double? {
        let served = hits + stale
        let lookups = served + misses
        return lookups == 0 ? nil : Double(served) / Double(lookups) * 100
    }

    public var isZero: Bool { self == RouteCounts() }

    /// What an outcome adds. A coalesced lookup was answered with `X-Cache: MISS`, so it counts as a miss too.
    public mutating func record(_ outcome: CacheOutcome, negative: Bool = false) {
        switch outcome {
        case .hit:
            hits += 1
            if negative { negativeHits += 1 }
        case .miss:
            misses += 1
            originFetches += 1
        case .coalesced:
            misses += 1
            coalesced += 1
        case .fill: fills += 1
        case .bypass: bypasses += 1
        case .warm, .refresh:
            fills += 1
            originFetches += 1
        case .stale: stale += 1
        case .invalidate: break
        }
    }
}

/// Everything recorded since the last publish: counter deltas and the events themselves.
/// Events beyond `eventLimit` are dropped (and counted) so a Redis outage cannot grow memory
/// without bound; counter deltas are never dropped, which keeps the published counters exact.
public struct EventBatch: Sendable {
    public var routes: [String: RouteCounts] = [:]
    public var keys: [String: RouteCounts] = [:]
    public var events: [CacheEvent] = []
    public var droppedEvents = 0
    public let eventLimit: Int

    public init(eventLimit: Int = 50_000) { self.eventLimit = eventLimit }

    public var isEmpty: Bool { routes.isEmpty && keys.isEmpty && events.isEmpty }

    public mutating func record(_ event: CacheEvent) {
        if event.outcome != .invalidate {
            routes[event.route, default: RouteCounts()].record(event.outcome, negative: event.isNegative)
            if event.outcome != .bypass {
                keys[event.key, default: RouteCounts()].record(event.outcome, negative: event.isNegative)
            }
        }
        if events.count < eventLimit {
            events.append(event)
        } else {
            droppedEvents += 1
        }
    }

    /// Puts back the counters of a batch that could not be published; its events are
    /// kept only as far as the limit allows.
    public mutating func merge(unpublished other: EventBatch) {
        for (route, counts) in other.routes {
            routes[route, default: RouteCounts()] = routes[route, default: RouteCounts()] + counts
        }
        for (key, counts) in other.keys { keys[key, default: RouteCounts()] = keys[key, default: RouteCounts()] + counts }
        let room = max(0, eventLimit - events.count)
        events = Array(other.events.suffix(room)) + events
        droppedEvents += other.droppedEvents + max(0, other.events.count - room)
    }
}
