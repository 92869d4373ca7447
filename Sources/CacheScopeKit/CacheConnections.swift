import RedisClient

/// The Redis connections of one server, each with the timeouts of its job: a slow admin call
/// never holds up a request, and a batch of events never waits behind a write.
struct CacheConnections: Sendable {
    /// Request path: GET and the guarded SET, given up on within the request budget (50 ms).
    let request: RedisPipeline
    /// Writes, admin, stats and warming: up to about a second.
    let admin: RedisPipeline
    /// Counters, events, announcements, heartbeats and fence answers, batched.
    let publisher: RedisPipeline
    /// Subscribed: fence answers and, with the near cache, invalidations (`InvalidationChannel`).
    let invalidations: RedisPipeline

    init(_ configuration: CacheConfiguration) {
        let endpoint = configuration.redis
        request = RedisPipeline(endpoint: endpoint, name: "request", options: .init(ioTimeout: configuration.requestTimeout))
        admin = RedisPipeline(endpoint: endpoint, name: "admin", options: .background)
        publisher = RedisPipeline(endpoint: endpoint, name: "publisher", options: .background)
        invalidations = RedisPipeline(endpoint: endpoint, name: "invalidations", options: .background)
    }

    /// Opens the connections before the first request, so none pays for a connect (a PING
    /// touches no key). If Redis is down the server starts anyway and serves with `BYPASS`.
    func connect() async {
        await withTaskGroup(of: Void.self) { group in
            for connection in [request, admin, publisher] {
                group.addTask { _ = try? await connection.send(RedisCommand("PING")) }
            }
        }
    }

    /// Drops every connection: each opens again to wherever the endpoint now points (a new master).
    func reconnectAll() {
        for connection in [request, admin, publisher, invalidations] { connection.reconnect() }
    }

    func stop() {
        for connection in [request, admin, publisher, invalidations] { connection.stop() }
    }
}
