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

    /// Without `--redis` or `$REDIS_URL`: redis://127.0.0.1:6379/0 if it answers, else a private embedded redis-server.
    @OptionGroup var redisFlags: RedisFlags

    @Option(help: "SQLite file holding the products (created and seeded on first start), unless --store is given.")
    var db = "./cachescope.db"

    @Option(
        help:
            "PostgreSQL holding the products, shared by a fleet: postgres://user:password@host:port/dbname (default: $DATABASE_URL, else the SQLite file of --db)."
    )
    var store: String?

    @Option(name: .customLong("store-pool"), help: "PostgreSQL connections this server keeps at most (1-1000).")
    var storePool = 10

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
        name: .customLong("ttl"),
        help:
            "Replace one route's TTL: PATTERN=DURATION, the pattern as /cache/stats names the route (repeatable; an unknown pattern is refused with the list of routes)."
    )
    var ttl: [String] = []

    @Option(
        name: .customLong("origin-timeout"),
        help: "How long a store read may take before the request is answered 503 with Retry-After, e.g. 2s.")
    var originTimeout = "2s"

    @Option(
        name: .customLong("grace"),
        help: "Serve an entry STALE this long past its TTL while one server refreshes it, e.g. 60s; 0: never.")
    var grace = "60s"

    @Option(
        name: .customLong("negative-ttl"), help: "Answer a 404 from the cache for this long, e.g. 10s; 0: 404s are not cached.")
    var negativeTTL = "10s"

    @Option(
        name: .customLong("early-refresh"),
        help:
            "Refresh hot entries shortly before their TTL ends, sooner the slower they load (XFetch); BETA above 0, 1 is the usual choice. Off unless given."
    )
    var earlyRefresh: Double?

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
        _ = try ttls()
        guard let timeout = DurationText.parse(originTimeout), timeout > .zero else {
            throw ValidationError("--origin-timeout must be a duration above 0 like 2s or 500ms, not '\(originTimeout)'")
        }
        guard DurationText.parse(grace) != nil else {
            throw ValidationError("--grace must be a duration like 60s or 500ms, or 0 to turn it off, not '\(grace)'")
        }
        guard DurationText.parse(negativeTTL) != nil else {
            throw ValidationError(
                "--negative-ttl must be a duration like 10s or 500ms, or 0 to turn it off, not '\(negativeTTL)'")
        }
        if let earlyRefresh, EarlyRefresh(beta: earlyRefresh) == nil {
            throw ValidationError(
                "--early-refresh takes a BETA above 0 like 1 (leave it out to turn it off), not \(earlyRefresh)")
        }
        guard (0...1).contains(ttlJitter) else { throw ValidationError("--ttl-jitter must be between 0 and 1, not \(ttlJitter)") }
        guard !eventsKey.isEmpty else { throw ValidationError("--events-key must not be empty") }
        for target in warmTargets where !target.hasPrefix("/") {
            throw ValidationError("--warm takes a path like /products?featured=true, not '\(target)'")
        }
        if let adminToken, adminToken.isEmpty { throw ValidationError("--admin-token must not be empty") }
        guard (1...1000).contains(storePool) else { throw ValidationError("--store-pool must be 1-1000, not \(storePool)") }
        _ = try storeLocation()
    }

    /// `--store`, else `$DATABASE_URL`, else the SQLite file of `--db`.
    func storeLocation() throws -> StoreLocation {
        guard let url = store ?? ProcessInfo.processInfo.environment["DATABASE_URL"] else { return .sqlite(path: db) }
        do {
            return .postgres(try PostgresLocation(url: url))
        } catch {
            throw ValidationError("--store (or DATABASE_URL): \(error)")
        }
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
        if let timeout = DurationText.parse(originTimeout) { configuration.cache.originTimeout = timeout }
        configuration.cache.nearCacheMaxAge = DurationText.parse(nearCache).flatMap { $0 > .zero ? $0 : nil }
        configuration.store = (try? storeLocation()) ?? .sqlite(path: db)
        configuration.storePoolSize = storePool
        if let delay = DurationText.parse(originDelay) { configuration.originDelay = delay }
        configuration.routeOptions.jitter = ttlJitter
        if let negative = DurationText.parse(negativeTTL) { configuration.routeOptions.negativeTTL = negative }
        if let grace = DurationText.parse(grace) { configuration.routeOptions.grace = grace }
        configuration.routeOptions.earlyRefresh = earlyRefresh.flatMap { EarlyRefresh(beta: $0) }
        configuration.ttls = (try? ttls()) ?? [:]
        configuration.benchmarkRoute = benchRoute
        return configuration
    }

    /// `--ttl ROUTE=D` values by route; which routes exist is checked against the declarations.
    func ttls() throws -> [String: Duration] {
        var ttls: [String: Duration] = [:]
        for text in ttl {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0].hasPrefix("/"), let duration = DurationText.parse(parts[1]), duration > .zero else {
                throw ValidationError("--ttl takes PATTERN=DURATION with a duration above 0, like PATTERN=2s, not '\(text)'")
            }
            ttls[parts[0]] = duration
        }
        return ttls
    }

    /// The product API with these flags, ready to start.
    func server(redis endpoint: RedisEndpoint, logger: Logger) throws -> CacheServer {
        try ProductServer(configuration: configuration(redis: endpoint), logger: logger).makeServer(logger: logger)
    }
}
