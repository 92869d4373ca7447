/// The names of everything CacheScope keeps in Redis besides the cached bodies: counters,
/// generations, announcements, the event stream and the pub/sub channels. Every server and
/// dashboard derives them from here, so the layout is stated once (`docs/schema.md`).
public struct KeySchema: Sendable, Equatable {
    public let namespace: String

    public init(namespace: String = "cachescope") { self.namespace = namespace }

    /// STREAM of cache events (`CacheEvent.streamFields`), unless `--events-key` names another.
    public var events: String { "\(namespace):events" }
    /// HASH of one route's counters: hits, misses, coalesced, fills, origin_fetches, bypasses.
    public func route(_ route: String) -> String { "\(namespace):counters:route:\(route)" }
    /// HASH of one cache key's counters: hits, misses, fills, the request that fills it, and its
    /// history (`KeyHistory`).
    public func key(_ key: String) -> String { keyCountersPrefix + key }
    /// What every key's counters hash name starts with.
    public var keyCountersPrefix: String { "\(namespace):counters:key:" }
    /// SET of the routes that have counters.
    public var routes: String { "\(namespace):routes" }
    /// HASH of invalidation generations: field = key group (`shop:/products`), or `*` for all.
    public var generations: String { "\(namespace):gen" }
    /// The generation field that every pattern invalidation spanning several groups bumps.
    public static let allGroups = "*"
    /// In the generations hash, `reason:{field}` holds the reason of the last invalidation that
    /// bumped `{field}`, which a refused fill reports.
    public static let reasonPrefix = "reason:"
    /// The generation field of a tag, bumped by an invalidation of the tag.
    public static func tagGeneration(_ tag: String) -> String { "tag:\(tag)" }
    /// SET of the keys filled with a tag (added by the guarded fill, emptied by the tag's invalidation).
    public func tag(_ tag: String) -> String { "\(namespace):tag:\(tag)" }
    /// HASH of the origin loads one server has in flight: field = cache key, value =
    /// `{started Unix ms} {callers waiting}`; rewritten by its publisher when they change, expires
    /// 2 s after the last write (`InFlightLoads`).
    public func loads(_ server: String) -> String { "\(namespace):loads:\(server)" }
    /// SORTED SET of server ids, scored by when each last announced itself (Unix ms).
    public var servers: String { "\(namespace):servers" }
    /// HASH describing one running server (see `ServerPresence`); expires unless renewed.
    public func server(_ id: String) -> String { "\(namespace):server:\(id)" }
    /// Pub/sub channel of write fences, `{server id} {sequence}`: every near cache drops its
    /// entries and answers on the writer's inbox (see `FenceMessage`).
    public var fences: String { "\(namespace):near:fences" }
    /// Pub/sub channel one server listens on: fence answers and its own heartbeats (`FenceMessage`).
    public func inbox(_ id: String) -> String { "\(namespace):near:inbox:\(id)" }
    /// SORTED SET of the servers whose near cache may be serving, scored by their last heartbeat
    /// (Redis's clock, ms): the answers a fence must wait for.
    public var nearCaches: String { "\(namespace):near:members" }
    /// STRING held while one server loads a missing entry (`SET NX PX`): the fleet's one load; the
    /// value is the server's id.
    public func fillLease(_ key: String) -> String { "\(namespace):filling:\(key)" }
    /// STRING held while one server refreshes a stale entry (`SET NX PX`): the fleet's one refresh.
    public func refreshLease(_ key: String) -> String { "\(namespace):refresh:\(key)" }
    /// The channel Redis's `CLIENT TRACKING ... REDIRECT` sends key invalidations to.
    public static let trackingChannel = "__redis__:invalidate"
}
