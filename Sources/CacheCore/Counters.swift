/// The counter fields, as stored in the route and key hashes (`docs/schema.md`).
public enum CounterField: Int, Sendable, CaseIterable {
    case hits, misses, coalesced, fills, originFetches, bypasses
    /// Hits answered with a cached 404 (also counted in `hits`).
    case negativeHits
    /// Answers from an entry past its TTL, within grace (`X-Cache: STALE`): served from the cache.
    case stale
    /// Loads the fill guard refused to store, because an invalidation came while they ran.
    case refused
    /// `misses` split by cause: they add up to `misses`.
    case missesCold, missesExpired, missesInvalidated, missesEvicted, missesRefused, missesUncacheable
    /// `bypasses` split by cause: they add up to `bypasses`.
    case bypassesRedisDown, bypassesPendingInvalidation, bypassesRedisOOM

    /// The hash field's name.
    public var name: String {
        switch self {
        case .originFetches: "origin_fetches"
        case .negativeHits: "negative_hits"
        case .missesCold: "misses_cold"
        case .missesExpired: "misses_expired"
        case .missesInvalidated: "misses_invalidated"
        case .missesEvicted: "misses_evicted"
        case .missesRefused: "misses_refused"
        case .missesUncacheable: "misses_uncacheable"
        case .bypassesRedisDown: "bypasses_redis_down"
        case .bypassesPendingInvalidation: "bypasses_pending_invalidation"
        case .bypassesRedisOOM: "bypasses_redis_oom"
        default: "\(self)"
        }
    }

    /// Whether it counts misses or bypasses of one cause (a part of `misses` or `bypasses`).
    public var isByCause: Bool {
        MissCause.allCases.contains { Self.counting(miss: $0) == self }
            || BypassCause.allCases.contains { Self.counting(bypass: $0) == self }
    }

    /// The field named `name` in a hash; nil for a field this version does not know.
    public init?(name: String) {
        guard let field = Self.byName[name] else { return nil }
        self = field
    }

    private static let byName = Dictionary(uniqueKeysWithValues: allCases.map { ($0.name, $0) })

    public static func counting(miss cause: MissCause) -> CounterField {
        switch cause {
        case .cold: .missesCold
        case .expired: .missesExpired
        case .invalidated: .missesInvalidated
        case .evicted: .missesEvicted
        case .refused: .missesRefused
        case .uncacheable: .missesUncacheable
        }
    }

    public static func counting(bypass cause: BypassCause) -> CounterField {
        switch cause {
        case .redisDown: .bypassesRedisDown
        case .pendingInvalidation: .bypassesPendingInvalidation
        case .redisOOM: .bypassesRedisOOM
        }
    }
}

/// Counts per route and per key for one route, as added up between two publishes.
public struct RouteCounts: Sendable, Equatable {
    private var values = [Int](repeating: 0, count: CounterField.allCases.count)

    public init() {}

    public subscript(field: CounterField) -> Int {
        get { values[field.rawValue] }
        set { values[field.rawValue] = newValue }
    }

    public var hits: Int {
        get { self[.hits] }
        set { self[.hits] = newValue }
    }
    public var misses: Int {
        get { self[.misses] }
        set { self[.misses] = newValue }
    }
    public var coalesced: Int {
        get { self[.coalesced] }
        set { self[.coalesced] = newValue }
    }
    public var fills: Int {
        get { self[.fills] }
        set { self[.fills] = newValue }
    }
    public var originFetches: Int {
        get { self[.originFetches] }
        set { self[.originFetches] = newValue }
    }
    public var bypasses: Int {
        get { self[.bypasses] }
        set { self[.bypasses] = newValue }
    }
    public var negativeHits: Int {
        get { self[.negativeHits] }
        set { self[.negativeHits] = newValue }
    }
    public var stale: Int {
        get { self[.stale] }
        set { self[.stale] = newValue }
    }
    public var refused: Int {
        get { self[.refused] }
        set { self[.refused] = newValue }
    }

    /// Misses per cause, with every cause present.
    public var missesByCause: [MissCause: Int] {
        Dictionary(uniqueKeysWithValues: MissCause.allCases.map { ($0, self[.counting(miss: $0)]) })
    }

    /// Bypasses per cause, with every cause present.
    public var bypassesByCause: [BypassCause: Int] {
        Dictionary(uniqueKeysWithValues: BypassCause.allCases.map { ($0, self[.counting(bypass: $0)]) })
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

    /// What an event adds. A coalesced lookup was answered with `X-Cache: MISS`, so it counts as a
    /// miss too; misses and bypasses also count under their cause (`cold` when none is given).
    public mutating func record(_ event: CacheEvent) {
        switch event.outcome {
        case .hit:
            hits += 1
            if event.isNegative { negativeHits += 1 }
        case .miss, .coalesced:
            misses += 1
            self[event.outcome == .miss ? .originFetches : .coalesced] += 1
            self[.counting(miss: event.missCause ?? .cold)] += 1
        case .fill: fills += 1
        case .bypass:
            bypasses += 1
            self[.counting(bypass: event.bypassCause ?? .redisDown)] += 1
        case .warm, .refresh:
            fills += 1
            originFetches += 1
        case .stale: stale += 1
        case .refused: refused += 1
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
            routes[event.route, default: RouteCounts()].record(event)
            if event.outcome != .bypass {
                keys[event.key, default: RouteCounts()].record(event)
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
