/// What a running server tells the dashboards about itself, renewed every second in the
/// hash `CounterSchema.server(id)`: where to reach it (for re-warming and demo load from
/// `cachescope watch`) and whether its near cache is serving. A public interface (see README).
public struct ServerPresence: Sendable, Equatable {
    public var id: String
    /// Base URL of its HTTP API, e.g. `http://127.0.0.1:8000`.
    public var url: String
    /// The configured `--near-cache` maximum age in ms; 0 when the flag is off.
    public var nearCacheMs: Int
    /// Whether the near cache is serving now (its invalidation subscription is confirmed).
    public var nearCacheActive: Bool
    public var startedMs: Int64
    /// Whether its admin endpoints (`/cache/warm`, `/cache/invalidate`) take requests.
    public var admin: Admin

    public enum Admin: String, Sendable {
        /// On loopback without a token: anyone here may call them.
        case open
        /// A bearer token is required.
        case token
        /// Bound off loopback without a token: they answer 403.
        case closed
    }

    public init(id: String, url: String, nearCacheMs: Int = 0, nearCacheActive: Bool = false, startedMs: Int64, admin: Admin = .open) {
        self.id = id
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

    /// Renewals come every second; a hash not renewed for this long expires, and its server is gone.
    public static let lifetimeMs = 5_000

    /// The hash fields, as `HSET` takes them.
    public var hashFields: [(String, String)] {
        [("url", url), ("near_cache_ms", String(nearCacheMs)), ("near_cache_active", nearCacheActive ? "1" : "0"),
         ("started_ms", String(startedMs)), ("admin", admin.rawValue)]
    }

    /// Reads the fields of an `HGETALL`; nil for a missing (expired) or malformed hash.
    public init?(id: String, hashFields fields: [String: String]) {
        guard let url = fields["url"], !url.isEmpty else { return nil }
        self.init(id: id, url: url, nearCacheMs: fields["near_cache_ms"].flatMap { Int($0) } ?? 0,
                  nearCacheActive: fields["near_cache_active"] == "1",
                  startedMs: fields["started_ms"].flatMap { Int64($0) } ?? 0,
                  admin: fields["admin"].flatMap(Admin.init(rawValue:)) ?? .closed)
    }
}
