import CacheCore
import CacheProtocol
import Foundation
import ProductAPI
import RedisClient
import TestSupport
import Testing

@testable import CacheScopeKit

/// Near-cache hits answered in the HTTP/1 pipeline, before Hummingbird: the same bytes, counted the
/// same, in order on a pipelined connection, by the HTTP/1.0 and `Connection` rules, and never when
/// the near cache may not answer.
@Suite struct FastPathTests {
    private static let listing = "GET /products HTTP/1.1\r\nHost: t\r\n\r\n"

    /// Near-cache entries that outlive a slow test run (the default 1 s can pass between two of its
    /// requests on a loaded machine, and the next hit then comes from Redis).
    private static func longNearCache(_ configuration: inout ServerConfiguration) {
        configuration.cache.nearCacheMaxAge = .seconds(60)
    }

    private func fastHits(_ server: TestServer) -> Int { server.server.cache.fastPath?.answered ?? -1 }

    /// One request on a new connection, answered.
    private func exchange(_ server: TestServer, _ request: String) async throws -> RawResponse {
        let connection = try await RawConnection.open(port: server.port)
        defer { connection.close() }
        try await connection.send(request)
        return try #require(await connection.responses(1).first)
    }

    /// MISS (fill), then hits until the near cache holds the entry (a change notice for the fill's
    /// own write may drop the first copy): the next hit is the fast path's. Returns a hit that came
    /// the ordinary way, from Redis.
    @discardableResult
    private func warm(_ server: TestServer, _ target: String = "/products") async throws -> RawResponse {
        let request = "GET \(target) HTTP/1.1\r\nHost: t\r\n\r\n"
        #expect(try await exchange(server, request).header("X-Cache") == "MISS")
        let key = try server.server.cache.routes.resolve(target: target).key.description
        var fromRedis: RawResponse?
        for _ in 0..<50 where server.server.cache.near?.encodedHit(for: key) == nil {
            let before = fastHits(server)
            let response = try await exchange(server, request)
            if fastHits(server) == before { fromRedis = response }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(server.server.cache.near?.encodedHit(for: key) != nil, "the near cache holds \(key)")
        return try #require(fromRedis)
    }

    /// A connection whose first request the fast path answered. Which path answers can change with
    /// timing (a loaded machine can let the near cache's 500 ms lease lapse between two heartbeats,
    /// and then the hit comes from Redis), so a request the fast path did not take is sent again
    /// on a new connection, a few times.
    private func fastConnection(_ server: TestServer, _ request: String) async throws -> (RawConnection, RawResponse) {
        for _ in 0..<20 {
            let before = fastHits(server)
            let connection = try await RawConnection.open(port: server.port)
            try await connection.send(request)
            let response = try #require(await connection.responses(1).first, "\(request)")
            if fastHits(server) == before + 1 { return (connection, response) }
            connection.close()
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the fast path never answered \(request)")
        throw CancellationError()
    }

    private func fastExchange(_ server: TestServer, _ request: String) async throws -> RawResponse {
        let (connection, response) = try await fastConnection(server, request)
        connection.close()
        return response
    }

    @Test func aFastHitIsTheOrdinaryHitByteForByte() async throws {
        try await withServer(configure: Self.longNearCache) { server, _ in
            let ordinary = try await warm(server)
            let fast = try await fastExchange(server, Self.listing)
            #expect(fast.textWithoutDate == ordinary.textWithoutDate)
            #expect(fast.header("Date") != nil && fast.header("Server") == "cachescope")
            // A conditional request goes the ordinary way, and its near-cache hit is the same 200 too.
            let before = fastHits(server)
            let conditional = try await exchange(
                server, "GET /products HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"other\"\r\n\r\n")
            #expect(fastHits(server) == before, "never the fast path's")
            #expect(conditional.textWithoutDate == fast.textWithoutDate)
            // The same HTTP/1.0 keep-alive answer from both paths.
            let keepAlive10 = "GET /products HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
            let fast10 = try await fastExchange(server, keepAlive10)
            let ordinary10 = try await exchange(
                server, "GET /products HTTP/1.0\r\nConnection: keep-alive\r\nIf-None-Match: \"other\"\r\n\r\n")
            #expect(fast10.textWithoutDate == ordinary10.textWithoutDate)
            #expect(fast10.header("Connection") == "keep-alive")
        }
    }

    /// A hit pipelined behind a slow miss on one connection waits for it: responses in request order.
    @Test func pipelinedResponsesKeepTheirOrder() async throws {
        try await withServer(configure: {
            Self.longNearCache(&$0)
            $0.originDelay = .milliseconds(300)
        }) { server, _ in
            _ = try await warm(server)
            let before = fastHits(server)
            let connection = try await RawConnection.open(port: server.port)
            defer { connection.close() }
            try await connection.send(
                "GET /products/3 HTTP/1.1\r\nHost: t\r\n\r\n" + Self.listing + "GET /products/4 HTTP/1.1\r\nHost: t\r\n\r\n"
                    + Self.listing)
            let responses = await connection.responses(4)
            #expect(responses.count == 4)
            let ids = responses.map { (try? JSONSerialization.jsonObject(with: Data($0.body))) as? [String: Any] }
            #expect(ids[0]?["id"] as? Int == 3)
            #expect(ids[1]?["count"] as? Int == 5)
            #expect(ids[2]?["id"] as? Int == 4)
            #expect(ids[3]?["count"] as? Int == 5)
            #expect(responses.map { $0.header("X-Cache") } == ["MISS", "HIT", "MISS", "HIT"])
            // Behind a miss nothing may jump the queue, so the listing hits went the ordinary way…
            #expect(fastHits(server) == before)
            // …while hits pipelined behind hits are all the fast path's.
            try await connection.send(Self.listing + Self.listing + Self.listing)
            #expect(await connection.responses(7).count == 7)
            #expect(fastHits(server) > before, "with nothing in flight the fast path answers")
        }
    }

    /// A connection that stays open is the fast path's to answer; one that closes is left to
    /// Hummingbird, which closes after draining. Both send the `Connection` header the rule asks.
    @Test func http10ClosesUnlessKeepAliveAndConnectionCloseCloses() async throws {
        try await withServer(configure: Self.longNearCache) { server, _ in
            _ = try await warm(server)
            for request in ["GET /products HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", Self.listing] {
                let (connection, answer) = try await fastConnection(server, request)
                defer { connection.close() }
                #expect(answer.statusLine == "HTTP/1.1 200 OK")
                #expect(answer.header("Connection") == (request.contains("1.0") ? "keep-alive" : nil))
                try await connection.send(request)  // and it goes on serving on the same connection
                #expect(await connection.responses(2).count == 2, "\(request)")
                #expect(!connection.snapshot.closed)
            }
            for request in [
                "GET /products HTTP/1.0\r\n\r\n", "GET /products HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                "GET /categories HTTP/1.0\r\n\r\n",  // a miss
            ] {
                let before = fastHits(server)
                let connection = try await RawConnection.open(port: server.port)
                defer { connection.close() }
                try await connection.send(request)
                let answer = try #require(await connection.responses(1).first, "\(request)")
                #expect(answer.statusLine == "HTTP/1.1 200 OK")
                #expect(answer.header("Connection") == "close")
                await waitUntil(timeout: .seconds(5)) { connection.snapshot.closed }
                #expect(connection.snapshot.closed, "closed after: \(request)")
                #expect(fastHits(server) == before, "a connection that closes is not the fast path's")
            }
        }
    }

    /// A write on another server fences this near cache: the next request misses.
    @Test func aWriteOnAnotherServerMakesTheNextRequestMiss() async throws {
        try await withRedis { redis in
            let database = TestServer.temporaryDatabase()
            let reader = try await TestServer.start(
                redis: redis.endpoint, store: .sqlite(path: database), configure: Self.longNearCache)
            let writer = try await TestServer.start(redis: redis.endpoint, store: .sqlite(path: database))
            defer {
                Task {
                    await reader.stop()
                    await writer.stop()
                }
            }
            _ = try await warm(reader)
            #expect(try await fastExchange(reader, Self.listing).header("X-Cache") == "HIT")
            #expect(try await writer.send("POST", "/products", json: #"{"name": "Sixth", "price": 6}"#).status == 201)
            let after = try await exchange(reader, Self.listing)
            #expect(after.header("X-Cache") == "MISS")
            #expect(String(decoding: after.body, as: UTF8.self).contains("Sixth"))
        }
    }

    /// While an invalidation is pending, or once Redis is gone past the near cache's lease, nothing is
    /// answered from memory.
    @Test func nothingFastWhileAnInvalidationIsPendingOrRedisIsDown() async throws {
        try await withServer(configure: Self.longNearCache) { server, redis in
            _ = try await warm(server)
            let before = fastHits(server)
            await redis.stop()
            #expect(try await server.send("POST", "/products", json: #"{"name": "Sixth", "price": 6}"#).status == 201)
            #expect(server.server.cache.invalidator.pending.count > 0)
            let pending = try await exchange(server, Self.listing)
            #expect(pending.header("X-Cache") == "BYPASS")
            #expect(String(decoding: pending.body, as: UTF8.self).contains("Sixth"), "the store's answer")
            try await Task.sleep(for: NearCache.lease * 2)
            #expect(try await exchange(server, Self.listing).header("X-Cache") == "BYPASS")
            #expect(fastHits(server) == before)
        }
    }
}
