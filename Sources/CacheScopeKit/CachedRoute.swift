import CacheCore
import CacheProtocol
import Foundation

/// One cacheable GET route, declared once: its path pattern, key prefix, TTL, and how to load
/// it. Everything else is derived from it: the key, the router entry, the 405 `Allow` list,
/// warm targets, counters, and what the server announces to dashboards.
public struct CachedRoute: Sendable {
    public let pattern: RoutePattern
    public private(set) var policy: CachePolicy
    private let options: Options
    /// Queries (`""`, `featured=true`) filled at start-up, for a route without captures.
    public let warmQueries: [String]
    let resolve: @Sendable (RouteRequest) throws(APIError) -> OriginLoad

    /// How entries live besides their TTL; the same for every route of an app, usually.
    public struct Options: Sendable, Equatable {
        /// Up to this fraction of the TTL is added at random to each fill, so entries filled together
        /// do not expire together.
        public var jitter: Double
        /// How long a 404 is kept and answered from the cache (zero: never).
        public var negativeTTL: Duration
        /// How long a 200 is kept past its TTL, answered `STALE` while one refresh runs (zero: none).
        public var grace: Duration
        /// Refresh hot entries shortly before their TTL ends, in proportion to their load time (XFetch); nil: off.
        public var earlyRefresh: EarlyRefresh?

        public init(
            jitter: Double = 0, negativeTTL: Duration = .zero, grace: Duration = .zero, earlyRefresh: EarlyRefresh? = nil
        ) {
            self.jitter = jitter
            self.negativeTTL = negativeTTL
            self.grace = grace
            self.earlyRefresh = earlyRefresh
        }
    }

    /// - Parameters:
    ///   - pattern: like `/products/{id}`; `{name}` captures one path segment.
    ///   - prefix: the first part of every key, `{prefix}:{path}:{hash8(query)}`.
    ///   - warm: queries filled at start-up (`""` for none), for a route without captures.
    ///   - load: validates the request (throw `APIError` for a 4xx) and says how to load it.
    public init(
        _ pattern: String, prefix: String, ttl: Duration, options: Options = Options(), warm: [String] = [],
        load: @escaping @Sendable (RouteRequest) throws(APIError) -> OriginLoad
    ) {
        self.pattern = RoutePattern(pattern)
        self.policy = Self.policy(route: self.pattern.description, prefix: prefix, ttl: ttl, options)
        self.options = options
        self.warmQueries = warm
        self.resolve = load
    }

    private static func policy(route: String, prefix: String, ttl: Duration, _ options: Options) -> CachePolicy {
        CachePolicy(
            route: route, prefix: prefix, ttl: ttl, jitter: options.jitter, negativeTTL: options.negativeTTL,
            grace: options.grace, earlyRefresh: options.earlyRefresh)
    }

    /// The same route with another TTL (nil: unchanged).
    public func withTTL(_ ttl: Duration?) -> CachedRoute {
        guard let ttl else { return self }
        var route = self
        route.policy = Self.policy(route: policy.route, prefix: policy.prefix, ttl: ttl, options)
        return route
    }

    /// The `path?query` targets `warm` names.
    public var warmTargets: [String] {
        warmQueries.map { $0.isEmpty ? pattern.description : "\(pattern)?\($0)" }
    }

    /// The invalidation of every entry of this route, whatever its path and query.
    public var everyEntry: Invalidation {
        let (path, isWhole) = pattern.literalPath
        return .pattern(Glob.escape("\(policy.prefix):\(path)") + (isWhole ? ":*" : "/*"))
    }

    /// The invalidation of the entries of one path of this route, whatever their query.
    public func entries(ofPath path: String) -> Invalidation {
        .pattern(Glob.escape("\(policy.prefix):\(path)") + ":*")
    }

    /// What a server announces of this route.
    var announcement: RouteAnnouncement {
        RouteAnnouncement(
            method: "GET", pattern: pattern.description, prefix: policy.prefix,
            ttlMs: policy.ttlMilliseconds(random: 0))
    }
}

/// A request to a cached route, as its loader sees it.
public struct RouteRequest: Sendable {
    public let path: String
    /// The values the pattern's `{name}` segments captured.
    public let parameters: [String: String]
    public let query: CanonicalQuery

    /// The value captured by `{name}` (empty if the pattern has no such capture).
    public func parameter(_ name: String) -> String { parameters[name] ?? "" }

    /// A query parameter's one value, or nil. Given twice it would be ambiguous (which one
    /// wins?), so that is a 400.
    public func single(_ name: String) throws(APIError) -> String? {
        let values = query.values(name)
        guard values.count <= 1 else { throw APIError(400, "give '\(name)' once, not \(values.count) times") }
        return values.first
    }
}

/// How to load one request from the origin.
public struct OriginLoad: Sendable {
    /// The path the key is made of, when the request's own spelling is not canonical
    /// (`/products/007` is stored as `/products/7`); nil: the request's path.
    public var canonicalPath: String?
    /// What the entry contains, for precise invalidation (`Invalidation.tag`): a fill joins each
    /// tag's set atomically, and is refused if any of them was invalidated while it loaded.
    public var tags: [String]
    public let run: @Sendable () async throws -> OriginResponse

    public init(
        canonicalPath: String? = nil, tags: [String] = [], _ run: @escaping @Sendable () async throws -> OriginResponse
    ) {
        self.canonicalPath = canonicalPath
        self.tags = tags
        self.run = run
    }
}

/// A body produced by the origin, with its HTTP status. Only 200s are cached.
public struct OriginResponse: Sendable, Equatable {
    public let status: Int
    public let body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }

    /// Sorted keys: the same value always makes the same bytes.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public static func json(_ value: some Encodable, status: Int = 200) -> OriginResponse {
        OriginResponse(status: status, body: Array((try? encoder.encode(value)) ?? Data("{}".utf8)))
    }
}

/// An error answered to the client as `{"error": message}`.
public struct APIError: Error, Equatable, Sendable {
    public let status: Int
    public let message: String

    public init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }
}

/// Entries to invalidate: an exact key, a glob pattern over keys, or every entry filled with a tag.
public struct Invalidation: Sendable, Equatable, CustomStringConvertible {
    let target: DeletionTarget

    public static func key(_ key: String) -> Invalidation { Invalidation(target: .pattern(Glob.escape(key))) }
    public static func pattern(_ glob: String) -> Invalidation { Invalidation(target: .pattern(glob)) }
    /// The entries whose loads named `tag` (`OriginLoad.tags`): precise, and bounded by what it deletes.
    public static func tag(_ tag: String) -> Invalidation { Invalidation(target: .tag(tag)) }

    /// The glob pattern, or `tag:{name}`.
    public var description: String { target.description }
}

/// One cacheable GET, resolved: its policy, its key, its tags, and how to load it.
public struct CacheableRequest: Sendable {
    public let policy: CachePolicy
    public let key: CacheKey
    public let tags: [String]
    public let load: @Sendable () async throws -> OriginResponse
}

/// The declared routes, matched by path.
public struct RouteTable: Sendable {
    public let routes: [CachedRoute]

    public init(_ routes: [CachedRoute]) { self.routes = routes }

    /// Every route's warm targets, in declaration order.
    public var warmTargets: [String] { routes.flatMap(\.warmTargets) }

    /// Every key prefix the routes use (the keys this server may touch).
    public var prefixes: [String] { Array(Set(routes.map(\.policy.prefix))).sorted() }

    /// The request a `path?query` target (a warm target, a recorded request) stands for.
    public func resolve(target: String) throws(APIError) -> CacheableRequest {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts.first ?? "")
        for route in routes {
            if let request = try resolve(route, path: path, query: parts.count > 1 ? String(parts[1]) : "") { return request }
        }
        throw APIError(404, "Not found")
    }

    /// `route`'s request for `path` and raw `query`; nil if the path is not the route's.
    public func resolve(_ route: CachedRoute, path: String, query: String) throws(APIError) -> CacheableRequest? {
        guard let parameters = route.pattern.match(path) else { return nil }
        let canonical = CanonicalQuery(query)
        let load = try route.resolve(RouteRequest(path: path, parameters: parameters, query: canonical))
        let key = CacheKey(prefix: route.policy.prefix, path: load.canonicalPath ?? path, query: canonical)
        return CacheableRequest(policy: route.policy, key: key, tags: load.tags, load: load.run)
    }
}
