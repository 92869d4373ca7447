import Foundation
import TestSupport
import Testing

/// Cacheable 200s carry an ETag; a request that already has those bytes gets a 304 without them.
@Suite struct ConditionalGetTests {
    @Test func aMatchingIfNoneMatchIsA304CountedAsAHit() async throws {
        try await withServer { server, _ in
            let first = try await server.get("/products")
            let tag = try #require(first.header("ETag"))
            #expect(tag.hasPrefix("\"") && tag.count == 18)
            let second = try await server.get("/products")
            #expect(second.header("ETag") == tag, "the same bytes from the cache carry the same tag")

            let notModified = try await server.send("GET", "/products", headers: ["If-None-Match": tag])
            #expect(notModified.status == 304)
            #expect(notModified.body.isEmpty)
            #expect(notModified.header("ETag") == tag)
            #expect(notModified.header("X-Cache") == "HIT")
            let stale = try await server.send("GET", "/products", headers: ["If-None-Match": "\"0000000000000000\""])
            #expect(stale.status == 200)
            #expect(stale.body == first.body)

            _ = try await server.send("POST", "/products", json: #"{"name": "New", "price": 1}"#)
            let changed = try await server.send("GET", "/products", headers: ["If-None-Match": tag])
            #expect(changed.status == 200, "the write changed the listing: its old tag no longer matches")
            #expect(changed.header("X-Cache") == "MISS")
            #expect(changed.header("ETag") != tag)

            let routes = try #require(try await server.get("/cache/stats").json["routes"] as? [String: [String: Any]])
            #expect(routes["/products"]?["hits"] as? Int == 3, "the 304 is a hit")
            #expect(try await server.get("/products/99").header("ETag") == nil, "only 200s carry a tag")
        }
    }
}
