/// What a running server tells the dashboards about itself, renewed every second in the
/// hash `KeySchema.server(id)` (`docs/schema.md`): where to reach it (for re-warming and demo load from
/// `cachescope watch`) and whether its near cache is serving.
public struct ServerPresence: Sendable, Equatable, Codable {
    public var id: String
    /// Base URL of its HTTP API, e.g. `http://127.0.0.1:8000`.
    public var url: String
    /// The configured `--near-cache` maximum age in ms; 0 when the flag is off.
    public var nearCacheMs: Int
    /// Whether the near cache is serving now (its invalidation subscription is confirmed).
    public var nearCacheActive: Bool
    public var startedMs: Int64
    /// Its cacheable routes: what `watch` knows of route shapes and TTLs.
    public var routes: [RouteAnnouncement]
    /// Whether its admin endpoints (`/cache/warm`, `/cache/invalidate`) take requests.
    public var admin: Admin

    public enum Admin: String, Sendable, Codable {
        /// On loopback without a token: anyone here may call them.
        case open
        /// A bearer token is required.
        case token
        /// Bound off loopback without a token: they answer 403.
        case closed
    }

    public init(
        id: String, url: String, nearCacheMs: Int = 0, nearCacheActive: Bool = false, startedMs: Int64,
        routes: [RouteAnnouncement] = [], admin: Admin = .open
    ) {
        self.id = id
        self.routes = routes
        self.url = url
        self.nearCacheMs = nearCacheMs
        self.nearCacheActive = nearCacheActive
        self.startedMs = startedMs
        self.admin = admin
    }

    /// The servers a dashboard can send admin calls to, longest-running first (the likeliest to
    /// stay), so that when one does not answer the next can be tried.
    public static func adminCandidates(_ servers: [ServerPresence], haveToken: Bool) -> [ServerPresence] {
        longestRunningFirst(servers.filter { $0.admin == .open || ($0.admin == .token && haveToken) })
    }

    /// The longest-running (the likeliest to stay) first; the id breaks ties, so the order is stable.
    public static func longestRunningFirst(_ servers: [ServerPresence]) -> [ServerPresence] {
        servers.sorted { ($0.startedMs, $0.id) < ($1.startedMs, $1.id) }
    }

    /// The URL of a server bound to `host`: a wildcard bind is reached at `wildcardHost` (this
    /// machine's name for others, 127.0.0.1 from here); IPv6 literals get their brackets.
    public static func url(host: String, port: Int, wildcardHost: String) -> String {
        let reachable = ["0.0.0.0", "::", ""].contains(host) ? wildcardHost : host
        return "http://\(reachable.contains(":") ? "[\(reachable)]" : reachable):\(port)"
    }

}
