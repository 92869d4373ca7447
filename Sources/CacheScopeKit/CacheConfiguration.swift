import CacheCore
import CacheProtocol
import Foundation
import RedisClient

/// What the cache layer of a server needs to know besides its routes.
public struct CacheConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8000
    public var redis = RedisEndpoint(address: .tcp(host: "127.0.0.1", port: 6379))
    public var adminToken: String?
    public var warmOnStart = true
    /// Requests filled at start-up, as `path?query`; nil: those the routes declare.
    public var warmTargets: [String]?
    public var eventsKey = KeySchema().events
    /// How long a request waits on Redis (connect or reply) before it is served from the origin (`BYPASS`).
    public var requestTimeout: Duration = RedisPipeline.Options.requestPath.ioTimeout
    /// Keep hit bodies in memory for at most this long, invalidated by Redis and confirmed by
    /// every write (nil = off: every hit reads Redis).
    public var nearCacheMaxAge: Duration? = .seconds(1)
    /// How long a load from the origin may take; past it (or when it fails) the request is a 503
    /// with `Retry-After`, and nothing is stored.
    public var originTimeout: Duration = .seconds(2)
    public var serverID = String(UUID().uuidString.prefix(8)).lowercased()
    /// The `Server` header and the name in logs.
    public var serverName = "cachescope"

    public init() {}

    /// Who may call the admin endpoints: what `authorize` enforces and what the server announces.
    public var adminAccess: ServerPresence.Admin {
        adminToken != nil ? .token : isLoopback ? .open : .closed
    }

    /// Whether the address only accepts connections from this machine.
    public var isLoopback: Bool {
        host == "127.0.0.1" || host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// A setting the server cannot work with, named by the flag that sets it (the CLI exits 2).
public struct ConfigurationError: Error, CustomStringConvertible {
    public let flag: String
    public let problem: String

    public init(flag: String, problem: String) {
        self.flag = flag
        self.problem = problem
    }

    public var description: String { "\(flag): \(problem)" }
}
