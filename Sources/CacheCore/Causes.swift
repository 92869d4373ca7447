/// Why a lookup found no entry in Redis, carried by `miss` and `coalesced` events and counted per
/// route (`misses_by_cause`). It is read from the key's history, which the fill, the fill guard,
/// invalidations and uncached loads keep in Redis (`KeyHistory`).
public enum MissCause: String, Sendable, CaseIterable {
    /// No earlier fill of this key is known (none, or its history outlived its 24 h lifetime).
    case cold
    /// Its last fill's TTL and grace ran out.
    case expired
    /// Deleted by an invalidation since its last fill; the event names the invalidation's reason.
    case invalidated
    /// Gone before its TTL ran out without an invalidation by CacheScope: Redis evicted it under
    /// `maxmemory`, or another client deleted it.
    case evicted
    /// Its last load was refused by the fill guard, because an invalidation came while it ran.
    case refused
    /// Its last load gave a response the route does not store (a 500, a 404 without negative caching).
    case uncacheable

    /// The cause that a key's last recorded event implies. A filled key that is missing expired if
    /// its stored lifetime is over by Redis's clock, else something removed it early.
    public init(last: KeyEvent?, storedUntilMs: Int64?, nowMs: Int64) {
        switch last {
        case nil: self = .cold
        case .filled?: self = (storedUntilMs.map { nowMs >= $0 } ?? true) ? .expired : .evicted
        case .invalidated?: self = .invalidated
        case .refused?: self = .refused
        case .uncacheable?: self = .uncacheable
        }
    }
}

/// The last thing that happened to a cache key, as its history in Redis records it.
public enum KeyEvent: String, Sendable {
    case filled, invalidated, refused, uncacheable
}

/// Why a lookup bypassed the cache (`X-Cache: BYPASS`), carried by `bypass` events and counted per
/// route (`bypasses_by_cause`).
public enum BypassCause: String, Sendable, CaseIterable {
    /// Redis did not answer within the request budget.
    case redisDown = "redis_down"
    /// An invalidation has not reached Redis yet, so what Redis holds may be stale.
    case pendingInvalidation = "pending_invalidation"
    /// As `pendingInvalidation`, because Redis refuses writes: `maxmemory` reached under `noeviction`.
    case redisOOM = "redis_oom"
}
