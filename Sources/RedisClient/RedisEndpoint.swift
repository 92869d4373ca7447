/// Where a Redis server listens and how to log in, parsed from
/// `redis[s]://[[user]:password@]host:port/db`, `unix:///path[?db=N]`, or
/// `sentinel://[[user]:password@]host:port[,host:port…]/MASTER[/db]` (the master found through
/// Sentinel). `rediss://` is TLS (`tls` says how to verify). No description shows the password.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    public enum Address: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unix(path: String)
        /// Whichever server these sentinels name as the master of `master`.
        case sentinel(SentinelGroup)
    }

    public var address: Address
    /// An ACL user (`AUTH user password`); without one, `AUTH password` logs in as `default`.
    public var username: String?
    public var password: String?
    public var database: Int
    /// Set for `rediss://`: the connection is TLS, verified as this says.
    public var tls: RedisTLS?

    public init(
        address: Address, username: String? = nil, password: String? = nil, database: Int = 0, tls: RedisTLS? = nil
    ) {
        self.address = address
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    public init(url: String) throws(RedisError) {
        if url.hasPrefix("unix://") {
            let rest = url.dropFirst("unix://".count)
            let parts = rest.split(separator: "?", maxSplits: 1)
            guard let path = parts.first, path.hasPrefix("/") else {
                throw .invalidURL("'\(url)': a unix URL needs an absolute path, like unix:///run/redis.sock")
            }
            var database = 0
            if parts.count == 2, let db = parts[1].split(separator: "=").last.flatMap({ Int($0) }), parts[1].hasPrefix("db=") {
                database = db
            }
            self.init(address: .unix(path: String(path)), database: database)
            return
        }
        let schemes = ["redis://", "rediss://", "sentinel://"]
        guard let scheme = schemes.first(where: url.hasPrefix) else {
            throw .invalidURL(
                "'\(Self.redacted(url))': expected redis://[user:password@]host:port/db, rediss://…, sentinel://host:port[,host:port…]/MASTER or unix:///path"
            )
        }
        var rest = Substring(url.dropFirst(scheme.count))
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at].split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            if credentials.count == 2 {
                username = credentials[0].isEmpty ? nil : String(credentials[0])
                password = String(credentials[1])
            } else {
                password = String(credentials[0])  // redis://password@host, as redis-cli reads it
            }
            if password?.isEmpty == true { password = nil }
            rest = rest[rest.index(after: at)...]
        }
        if scheme == "sentinel://" {
            let (group, database) = try SentinelGroup.parse(rest, url: Self.redacted(url))
            self.init(address: .sentinel(group), username: username, password: password, database: database)
            return
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let dbText = rest[rest.index(after: slash)...]
            if !dbText.isEmpty {
                guard let db = Int(dbText), db >= 0 else {
                    throw .invalidURL(
                        "'\(Self.redacted(url))': the database after '/' must be a number, like redis://127.0.0.1:6379/0")
                }
                database = db
            }
            rest = rest[..<slash]
        }
        let (host, port) = try Self.hostAndPort(rest, url: Self.redacted(url))
        self.init(
            address: .tcp(host: host, port: port), username: username, password: password, database: database,
            tls: scheme == "rediss://" ? RedisTLS() : nil)
    }

    static func hostAndPort(_ text: Substring, url: String) throws(RedisError) -> (String, Int) {
        var host = text.isEmpty ? "127.0.0.1" : String(text)
        var port = 6379
        if let colon = text.lastIndex(of: ":") {
            guard let parsed = Int(text[text.index(after: colon)...]), (1...65535).contains(parsed) else {
                throw .invalidURL("'\(url)': the port must be a number from 1 to 65535")
            }
            port = parsed
            host = String(text[..<colon])
        }
        if host == "localhost" { host = "127.0.0.1" }
        return (host, port)
    }

    /// The URL form, without the password.
    public var description: String {
        let user = username.map { "\($0)@" } ?? ""
        return switch address {
        case .tcp(let host, let port): "\(tls == nil ? "redis" : "rediss")://\(user)\(host):\(port)/\(database)"
        case .unix(let path): database == 0 ? "unix://\(path)" : "unix://\(path)?db=\(database)"
        case .sentinel(let group): "sentinel://\(user)\(group.sentinelList)/\(group.master)/\(database)"
        }
    }

    /// The URL with its password replaced, for error messages.
    static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://"), let at = url.lastIndex(of: "@"), at > schemeEnd.upperBound else { return url }
        let credentials = url[schemeEnd.upperBound..<at]
        let user = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let shown = user.count == 2 ? "\(user[0]):***" : "***"
        return String(url[..<schemeEnd.upperBound]) + shown + String(url[at...])
    }
}

/// The sentinels that watch a master, by the master's name.
public struct SentinelGroup: Sendable, Hashable {
    public struct Sentinel: Sendable, Hashable {
        public let host: String
        public let port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    public var sentinels: [Sentinel]
    public var master: String

    public init(sentinels: [Sentinel], master: String) {
        self.sentinels = sentinels
        self.master = master
    }

    var sentinelList: String { sentinels.map { "\($0.host):\($0.port)" }.joined(separator: ",") }

    /// `host:port[,host:port…]/MASTER[/db]`; a sentinel's port defaults to 26379.
    fileprivate static func parse(_ text: Substring, url: String) throws(RedisError) -> (SentinelGroup, Int) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .invalidURL("'\(url)': expected sentinel://host:port[,host:port…]/MASTER_NAME[/db]")
        }
        var sentinels: [Sentinel] = []
        for address in parts[0].split(separator: ",") {
            let (host, port) = try RedisEndpoint.hostAndPort(address.contains(":") ? address : address + ":26379", url: url)
            sentinels.append(Sentinel(host: host, port: port))
        }
        var database = 0
        if parts.count == 3, !parts[2].isEmpty {
            guard let db = Int(parts[2]), db >= 0 else {
                throw .invalidURL("'\(url)': the database after the master's name must be a number")
            }
            database = db
        }
        return (SentinelGroup(sentinels: sentinels, master: String(parts[1])), database)
    }
}
