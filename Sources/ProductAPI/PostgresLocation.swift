import Foundation

/// A PostgreSQL server and database, parsed from `postgres://user:password@host:port/dbname`
/// (`postgresql://` too; `?sslmode=disable|prefer|require`, default disable). Its description
/// never shows the password.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    /// Why a URL is no PostgreSQL location, said so that the user can fix it.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public init(url: String) throws(Invalid) {
        let example = "like postgres://user:password@127.0.0.1:5432/cachescope"
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://"), let components = URLComponents(string: url)
        else { throw Invalid(description: "'\(Self.redacted(url))' is no PostgreSQL URL; give one \(example)") }
        guard let host = components.host, !host.isEmpty else {
            throw Invalid(description: "'\(Self.redacted(url))' names no host; give one \(example)")
        }
        guard let user = components.user, !user.isEmpty else {
            throw Invalid(description: "'\(Self.redacted(url))' names no user; give one \(example)")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw Invalid(description: "'\(Self.redacted(url))' names no database after the port; give one \(example)")
        }
        var tls = TLSMode.disable
        if let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value {
            guard let parsed = TLSMode(rawValue: mode) else {
                throw Invalid(description: "sslmode must be disable, prefer or require, not '\(mode)'")
            }
            tls = parsed
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database
        self.tls = tls
    }

    public var description: String {
        "postgres://\(username)@\(host):\(port)/\(database)" + (tls == .disable ? "" : "?sslmode=\(tls.rawValue)")
    }

    /// The URL with any password replaced, for error messages.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
