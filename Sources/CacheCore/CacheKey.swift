/// How one route is cached: the key prefix and how long an entry lives.
public struct CachePolicy: Sendable, Equatable {
    /// The route pattern the entry belongs to, e.g. `/products/{id}`: the label for counters.
    public let route: String
    public let prefix: String
    public let ttl: Duration
    /// Up to this fraction of `ttl` is added at random, so entries filled together do not expire together.
    public let jitter: Double
    /// How long a 404 is kept (negative caching); zero: 404s are not stored.
    public let negativeTTL: Duration
    /// How long a 200 stays in Redis past its TTL, served `STALE` while one refresh runs; zero: none.
    public let grace: Duration
    /// When set, hits refresh an entry shortly before its TTL ends (XFetch); nil: off.
    public let earlyRefresh: EarlyRefresh?

    public init(
        route: String, prefix: String, ttl: Duration, jitter: Double = 0, negativeTTL: Duration = .zero,
        grace: Duration = .zero, earlyRefresh: EarlyRefresh? = nil
    ) {
        self.route = route
        self.prefix = prefix
        self.ttl = ttl
        self.jitter = jitter
        self.negativeTTL = negativeTTL
        self.grace = grace
        self.earlyRefresh = earlyRefresh
    }

    /// How long to store a response of `status`, in milliseconds; nil when it is not stored: only
    /// 200s are, and 404s while `negativeTTL` is set (jitter applies to both).
    public func ttlMilliseconds(forStatus status: Int, random unit: Double) -> Int? {
        switch status {
        case 200: ttlMilliseconds(random: unit)
        case 404 where negativeTTL > .zero: Self.milliseconds(negativeTTL, jitter: jitter, random: unit)
        default: nil
        }
    }

    /// How long Redis keeps a response of `status`: its TTL, plus `grace` for a 200; nil when it is not stored.
    public func storedTTLMilliseconds(forStatus status: Int, random unit: Double) -> Int? {
        ttlMilliseconds(forStatus: status, random: unit).map { status == 200 ? $0 + graceMs : $0 }
    }

    /// `grace` in milliseconds: a 200 is kept this much longer than its TTL, and an entry whose Redis
    /// TTL has at most this left is stale.
    public var graceMs: Int { Self.milliseconds(grace, jitter: 0, random: 0) }

    /// The TTL for one fill of a 200, in milliseconds: `ttl` plus a random share of at most `jitter × ttl`.
    public func ttlMilliseconds(random unit: Double) -> Int { Self.milliseconds(ttl, jitter: jitter, random: unit) }

    private static func milliseconds(_ ttl: Duration, jitter: Double, random unit: Double) -> Int {
        let base = Double(ttl.components.seconds) * 1000 + Double(ttl.components.attoseconds) / 1e15
        return Int((base * (1 + jitter * min(max(unit, 0), 1))).rounded(.down))
    }
}

/// A cache entry's name: `{prefix}:{path}:{hash8 of the canonical query}`.
public struct CacheKey: Sendable, Hashable, CustomStringConvertible {
    public let prefix: String
    public let path: String
    public let queryHash: String

    /// The request the key stands for, in canonical form: `/products?category=widgets&featured=true`.
    public let request: String

    public init(prefix: String, path: String, query: CanonicalQuery) {
        self.prefix = prefix
        self.path = path
        self.queryHash = query.hash8
        let canonical = query.description
        self.request = canonical.isEmpty ? path : "\(path)?\(canonical)"
    }

    public var description: String { "\(prefix):\(path):\(queryHash)" }

    /// Every entry of this path whatever its query: `shop:/products`. Invalidations bump the
    /// generation of a group, which is what keeps in-flight fills from writing back stale data.
    public var group: String { "\(prefix):\(path)" }

    /// The group of a key given as text (everything before the last `:`), or nil if it has none.
    public static func group(ofKey key: String) -> String? {
        guard let colon = key.lastIndex(of: ":"), colon != key.startIndex else { return nil }
        return String(key[..<colon])
    }
}
