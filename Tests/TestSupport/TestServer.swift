import CacheCore
import CacheProtocol
import CacheScopeKit
import Foundation
import LoadGenerator
import Logging
import ProductAPI
import RedisClient
import Testing

/// A real server on a real port (chosen by the OS), with its own SQLite file, started as
/// `cachescope serve` starts it (`CacheServer`).
public final class TestServer: Sendable {
    public let server: ProductServer
    public let baseURL: String
    public let client = HTTPClient()
    /// A connection for the test's own look at Redis.
    public let redis: RedisPipeline
    private let running: CacheServer.Running

    private init(server: ProductServer, baseURL: String, redis: RedisPipeline, running: CacheServer.Running) {
        self.server = server
        self.baseURL = baseURL
        self.redis = redis
        self.running = running
    }

    public static func start(
        redis endpoint: RedisEndpoint, store: StoreLocation? = nil,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> TestServer {
        var configuration = ServerConfiguration()
        configuration.cache.port = 0
        configuration.cache.redis = endpoint
        configuration.cache.warmOnStart = false
        // Behaviour, not the 50 ms budget, is under test here (RedisClientTests time that on a quiet
        // loop); a debug build starting dozens of servers at once can stall a shared loop that long.
        configuration.cache.requestTimeout = .milliseconds(250)
        configuration.store = store ?? .sqlite(path: Self.temporaryDatabase())
        configuration.originDelay = .milliseconds(20)
        configure(&configuration)
        var logger = Logger(label: "test-server")
        logger.logLevel = .warning
        let server = try ProductServer(configuration: configuration, logger: logger)
        let running = try #require(try await server.makeServer(logger: logger).start())
        let probe = RedisPipeline(endpoint: endpoint, name: "test-probe", options: .background)
        return TestServer(server: server, baseURL: "http://127.0.0.1:\(running.port)", redis: probe, running: running)
    }

    public static func temporaryDatabase() -> String {
        Scratch.path("cachescope-test-\(UUID().uuidString).db")
    }

    /// The port it listens on.
    public var port: Int { running.port }

    public func get(_ path: String) async throws -> HTTPClient.Response { try await client.get(baseURL + path) }

    public func send(
        _ method: String, _ path: String, json: String? = nil, headers: [String: String] = [:]
    ) async throws -> HTTPClient.Response {
        try await client.send(method, baseURL + path, body: json.map { Data($0.utf8) }, headers: headers)
    }

    /// The events this server has published to the stream so far, oldest first.
    public func publishedEvents() async throws -> [CacheEvent] {
        let reply = try await redis.send(RedisCommand("XRANGE", server.configuration.cache.eventsKey, "-", "+")).orThrow()
        return reply.elements.compactMap(EventStream.event(inEntry:)).filter { $0.server == server.configuration.cache.serverID }
    }

    /// `/cache/stats` counts of one route.
    public func routeStats(_ route: String) async throws -> [String: Any] {
        let routes = try await get("/cache/stats").json["routes"] as? [String: [String: Any]]
        return routes?[route] ?? [:]
    }

    /// Graceful shutdown, as on SIGTERM: drains, flushes the publisher, closes the Redis connections.
    public func stop() async {
        await running.stop()
        server.cache.shutdown()
        redis.stop()
    }
}

/// Runs `body` against a fresh Redis and a fresh server; both are stopped afterwards.
public func withServer(
    configure: @escaping (inout ServerConfiguration) -> Void = { _ in },
    _ body: (TestServer, EmbeddedRedis) async throws -> Void
) async throws {
    try await withRedis { redis in
        try await using(try await TestServer.start(redis: redis.endpoint, configure: configure), stop: { await $0.stop() }) {
            try await body($0, redis)
        }
    }
}
