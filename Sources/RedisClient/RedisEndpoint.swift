/// Where a Redis server listens, parsed from `redis://[:password@]host:port/db` or `unix:///path`.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    public enum Address: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    public var address: Address
    public var password: String?
    public var database: Int

    public init(address: Address, password: String? = nil, database: Int = 0) {
        self.address = address
        self.password = password
        self.database = database
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
        guard url.hasPrefix("redis://") else {
            throw .invalidURL("'\(url)': expected redis://[:password@]host:port/db or unix:///path")
        }
        var rest = Substring(url.dropFirst("redis://".count))
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            password = String(credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).last ?? "")
            if password?.isEmpty == true { password = nil }
            rest = rest[rest.index(after: at)...]
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let dbText = rest[rest.index(after: slash)...]
            if !dbText.isEmpty {
                guard let db = Int(dbText), db >= 0 else {
                    throw .invalidURL("'\(url)': the database after '/' must be a number, like redis://127.0.0.1:6379/0")
                }
                database = db
            }
            rest = rest[..<slash]
        }
        var host = rest.isEmpty ? "127.0.0.1" : String(rest)
        var port = 6379
        if let colon = rest.lastIndex(of: ":") {
            guard let parsed = Int(rest[rest.index(after: colon)...]), (1...65535).contains(parsed) else {
                throw .invalidURL("'\(url)': the port must be a number from 1 to 65535")
            }
            port = parsed
            host = String(rest[..<colon])
        }
        if host == "localhost" { host = "127.0.0.1" }
        self.init(address: .tcp(host: host, port: port), password: password, database: database)
    }

    /// The URL form, without the password.
    public var description: String {
        switch address {
        case .tcp(let host, let port): "redis://\(host):\(port)/\(database)"
        case .unix(let path): database == 0 ? "unix://\(path)" : "unix://\(path)?db=\(database)"
        }
    }
}
