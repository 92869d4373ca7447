import CacheCore
import Foundation
import RedisClient

/// Everything `cachescope serve` can be told, with the defaults of the seed example.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8000
    public var redis: RedisEndpoint = RedisEndpoint(address: .tcp(host: "127.0.0.1", port: 6379))
    public var databasePath = "./cachescope.db"
    public var originDelay: Duration = .milliseconds(200)
    public var adminToken: String?
    public var warmOnStart = true
    /// Requests filled at start-up, as `path?query` (the seed's targets by default).
    public var warmTargets = ["/products", "/products?featured=true", "/categories"]
    public var eventsKey = "cachescope:events"
    public var prefix = "shop"
    /// Fraction of the TTL added at random to each fill (0 = none).
    public var ttlJitter = 0.0
    /// How long a request waits on Redis (connect or reply) before it is served from the store (`BYPASS`).
    public var requestTimeout: Duration = RedisPipeline.Options.requestPath.ioTimeout
    /// Keep hit bodies in memory for at most this long, invalidated by Redis and confirmed by
    /// every write (nil = off: every hit reads Redis).
    public var nearCacheMaxAge: Duration? = .seconds(1)
    /// Adds `GET /bench/static`, the no-Redis floor `make bench` compares the hit path to.
    public var benchmarkRoute = false
    public var serverID = String(UUID().uuidString.prefix(8)).lowercased()

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

    public var description: String { "\(flag): \(problem)" }
}
