import CacheCore
import CacheProtocol
import Foundation
import ProductAPI
import RedisClient
import TestSupport
import Testing

@testable import CacheScopeKit

/// A 404 of a cacheable route is kept for the negative TTL, so requests for missing ids stop
/// reaching the store, and the write that creates the id removes it.
@Suite struct NegativeCachingTests {
    @Test func aMissing404IsCachedThenBustedByThePostThatCreatesIt() async throws {
        try await withServer { server, _ in
            let first = try await server.get("/products/6")
            #expect(first.status == 404)
            #expect(first.header("X-Cache") == "MISS")
            let second = try await server.get("/products/6")
            #expect(second.status == 404)
            #expect(second.header("X-Cache") == "HIT", "answered from the cache")
            #expect(second.body == first.body)
            #expect(second.json["error"] as? String == "Product not found")
            let key = try server.server.cache.routes.resolve(target: "/products/6").key.description
            let ttl = try await server.redis.send(RedisCommand("PTTL", key)).int ?? -2
            #expect(ttl > 0 && ttl <= 10_000, "kept for the negative TTL (10 s), not the route's 300 s")

            let created = try await server.send("POST", "/products", json: #"{"name": "Sixth", "price": 6}"#)
            #expect(created.json["id"] as? Int == 6)
            let after = try await server.get("/products/6")
            #expect(after.status == 200, "the POST that created id 6 removed its cached 404")
            #expect(after.header("X-Cache") == "MISS")
            #expect(after.json["name"] as? String == "Sixth")

            let routes = try #require(try await server.get("/cache/stats").json["routes"] as? [String: [String: Any]])
            #expect(routes["/products/{id}"]?["negative_hits"] as? Int == 1)
            #expect(routes["/products/{id}"]?["hits"] as? Int == 1, "negative hits are hits")
            #expect(routes["/products/{id}"]?["origin_fetches"] as? Int == 2)
        }
    }

    @Test func aDeleteLeavesA404ThatIsCachedUntilTheIdComesBack() async throws {
        try await withServer { server, _ in
            #expect(try await server.send("DELETE", "/products/2").status == 200)
            #expect(try await server.get("/products/2").header("X-Cache") == "MISS")
            let cached = try await server.get("/products/2")
            #expect(cached.status == 404)
            #expect(cached.header("X-Cache") == "HIT")
        }
    }

    @Test func zeroTurnsItOff() async throws {
        try await withServer(configure: { $0.routeOptions.negativeTTL = .zero }) { server, _ in
            for _ in 0..<2 {
                let response = try await server.get("/products/99")
                #expect(response.status == 404)
                #expect(response.header("X-Cache") == "MISS")
            }
        }
    }

    @Test func storedEntriesKeepA200ByteForByteAndMarkOtherStatuses() {
        let body = Array(#"{"id":1}"#.utf8)
        #expect(CacheEntry.encode(status: 200, body: body) == body, "any Redis client reads a 200 as its body")
        let negative = CacheEntry.encode(status: 404, body: body)
        #expect(negative.first == 0)
        #expect(CacheEntry.decode(negative) == (404, body))
        #expect(CacheEntry.decode(body) == (200, body))
        #expect(CacheEntry.decode([0, 65]) == (200, [0, 65]), "malformed: read as stored")
    }
}
