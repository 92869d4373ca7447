/// What happened to one cache lookup or one cache-changing action.
public enum CacheOutcome: String, Sendable, CaseIterable {
    /// Served from Redis.
    case hit
    /// Not in Redis; this request loaded it from the origin.
    case miss
    /// Not in Redis; this request waited for another request's load of the same key.
    case coalesced
    /// The loaded value was stored in Redis.
    case fill
    /// Redis was unreachable; served from the origin without caching.
    case bypass
    /// Entries were deleted (the key is the key or pattern asked for).
    case invalidate
    /// A warm-up stored the entry.
    case warm
    /// Served from Redis after its TTL, within grace, while one refresh runs (`X-Cache: STALE`).
    case stale
    /// A background refresh of a stale entry stored it anew.
    case refresh
    /// The fill guard refused to store a load, because an invalidation came while it ran.
    case refused
}

/// One entry of the event stream. Its field names are a public interface (see README).
public struct CacheEvent: Sendable, Equatable {
    public var outcome: CacheOutcome
    public var key: String
    public var route: String
    /// The TTL the entry was stored with (fill and warm only).
    public var ttlMs: Int?
    /// Time spent answering (hit, miss, bypass) or loading (fill, warm), in microseconds.
    public var latencyUs: Int
    /// Keys deleted (invalidate only).
    public var deleted: Int?
    /// The canonical request that produced the entry, like `/products?featured=true`
    /// (fill and warm only): what lets any server re-warm a key it never filled.
    public var request: String?
    /// The HTTP status of the cached response when it is not 200 (a cached 404; hit and fill only).
    public var status: Int?
    /// The server whose load a `coalesced` request waited for, when it was another one.
    public var loader: String?
    /// Why a `miss` or `coalesced` lookup found nothing (`MissCause`), or why a `bypass` bypassed (`BypassCause`).
    public var cause: String?
    /// What caused an invalidation, like `POST /products` (`invalidate`, and a miss whose cause is `invalidated`).
    public var reason: String?
    /// The instance that recorded it.
    public var server: String
    /// Wall-clock time in Unix milliseconds.
    public var timestampMs: Int64

    public init(
        outcome: CacheOutcome, key: String, route: String, ttlMs: Int? = nil, latencyUs: Int = 0,
        deleted: Int? = nil, request: String? = nil, status: Int? = nil, loader: String? = nil, cause: String? = nil,
        reason: String? = nil, server: String, timestampMs: Int64
    ) {
        self.outcome = outcome
        self.key = key
        self.route = route
        self.ttlMs = ttlMs
        self.latencyUs = latencyUs
        self.deleted = deleted
        self.request = request
        self.status = status
        self.loader = loader
        self.cause = cause
        self.reason = reason
        self.server = server
        self.timestampMs = timestampMs
    }

    /// A hit or fill of a cached error response (negative caching).
    public var isNegative: Bool { status.map { $0 != 200 } ?? false }

    /// The cause of a `miss` or `coalesced` lookup.
    public var missCause: MissCause? {
        outcome == .miss || outcome == .coalesced ? cause.flatMap { MissCause(rawValue: $0) } : nil
    }

    /// The cause of a `bypass`.
    public var bypassCause: BypassCause? { outcome == .bypass ? cause.flatMap { BypassCause(rawValue: $0) } : nil }

    /// The stream entry's field/value pairs, in a fixed order.
    public var streamFields: [(String, String)] {
        var fields: [(String, String)] = [("event", outcome.rawValue), ("key", key), ("route", route)]
        if let ttlMs { fields.append(("ttl_ms", String(ttlMs))) }
        fields.append(("latency_us", String(latencyUs)))
        if let deleted { fields.append(("deleted", String(deleted))) }
        if let request { fields.append(("request", request)) }
        if let status { fields.append(("status", String(status))) }
        if let loader { fields.append(("loader", loader)) }
        if let cause { fields.append(("cause", cause)) }
        if let reason { fields.append(("reason", reason)) }
        fields.append(("server", server))
        fields.append(("ts_ms", String(timestampMs)))
        return fields
    }

    /// Reads a stream entry back; nil if it is not one of ours.
    public init?(streamFields fields: [String: String]) {
        guard let outcome = fields["event"].flatMap(CacheOutcome.init(rawValue:)),
            let key = fields["key"], let ts = fields["ts_ms"].flatMap({ Int64($0) })
        else { return nil }
        self.init(
            outcome: outcome, key: key, route: fields["route"] ?? "",
            ttlMs: fields["ttl_ms"].flatMap { Int($0) }, latencyUs: fields["latency_us"].flatMap { Int($0) } ?? 0,
            deleted: fields["deleted"].flatMap { Int($0) }, request: fields["request"],
            status: fields["status"].flatMap { Int($0) }, loader: fields["loader"], cause: fields["cause"],
            reason: fields["reason"], server: fields["server"] ?? "",
            timestampMs: ts)
    }
}
