import ArgumentParser
import CacheCore
import CacheProtocol
import CacheScopeKit
import Foundation
import Logging
import ProductAPI
import RedisClient

/// The flags of `serve` (and of `run`, which serves too).
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (1-65535, or 0 for any free port).")
    var port = 8000

    @Option(
        help:
            "Redis URL: redis://[:password@]host:port/db or unix:///path. Default: $REDIS_URL, else redis://127.0.0.1:6379/0, else a private embedded redis-server."
    )
    var redis: String?

    @Option(help: "SQLite file holding the products (created and seeded on first start).")
    var db = "./cachescope.db"

    @Option(
        name: .customLong("origin-delay"), help: "Extra latency of every product-store read, like a slow database: 200ms, 1s, 0.")
    var originDelay = "200ms"

    @Option(name: .customLong("admin-token"), help: "Bearer token required by POST /cache/invalidate and /cache/warm.")
    var adminToken: String?

    @Flag(name: .customLong("no-warm"), help: "Do not fill the warm targets at start-up.")
    var noWarm = false

    @Option(
        name: .customLong("warm"),
        help:
            "A warm target as path?query (repeatable; default: the routes' own, /products, /products?featured=true and /categories)."
    )
    var warmTargets: [String] = []

    @Option(name: .customLong("events-key"), help: "Redis stream the cache events are published to.")
    var eventsKey = KeySchema().events

    @Option(name: .customLong("ttl-jitter"), help: "Add up to this fraction of the TTL at random to each fill, 0-1 (e.g. 0.1).")
    var ttlJitter = 0.0

    @Option(
        name: .customLong("near-cache"),
        help:
            "Also keep hit bodies in this process for at most this long, dropped as soon as Redis reports a change; every write waits until all near caches dropped what it changed. 0 or off: every hit reads Redis."
    )
    var nearCache = "1s"

    @Flag(name: .customLong("bench-route"), help: .hidden)
    var benchRoute = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0-65535, not \(port)") }
        guard DurationText.parse(originDelay) != nil else {
            throw ValidationError("--origin-delay must be a duration like 200ms, 1s or 0, not '\(originDelay)'")
        }
        guard nearCache == "off" || DurationText.parse(nearCache) != nil else {
            throw ValidationError("--near-cache must be a duration like 500ms or 1s, or 0 or off, not '\(nearCache)'")
        }
        guard (0...1).contains(ttlJitter) else { throw ValidationError("--ttl-jitter must be between 0 and 1, not \(ttlJitter)") }
        guard !eventsKey.isEmpty else { throw ValidationError("--events-key must not be empty") }
        for target in warmTargets where !target.hasPrefix("/") {
            throw ValidationError("--warm takes a path like /products?featured=true, not '\(target)'")
        }
        if let adminToken, adminToken.isEmpty { throw ValidationError("--admin-token must not be empty") }
    }

    func configuration(redis endpoint: RedisEndpoint) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.cache.host = host
        configuration.cache.port = port
        configuration.cache.redis = endpoint
        configuration.cache.adminToken = adminToken
        configuration.cache.warmOnStart = !noWarm
        if !warmTargets.isEmpty { configuration.cache.warmTargets = warmTargets }
        configuration.cache.eventsKey = eventsKey
        configuration.cache.nearCacheMaxAge = DurationText.parse(nearCache).flatMap { $0 > .zero ? $0 : nil }
        configuration.databasePath = db
        if let delay = DurationText.parse(originDelay) { configuration.originDelay = delay }
        configuration.ttlJitter = ttlJitter
        configuration.benchmarkRoute = benchRoute
        return configuration
    }

    /// The product API with these flags, ready to start.
    func server(redis endpoint: RedisEndpoint, logger: Logger) throws -> CacheServer {
        try ProductServer(configuration: configuration(redis: endpoint), logger: logger).makeServer(logger: logger)
    }
}
