import CacheCore
import CacheProtocol
import Foundation
import ProductAPI
import RedisClient
import TestSupport
import Testing

@testable import CacheScopeKit

@Suite struct APITests {
    @Test func seedSessionMissThenHitAndWritesBustListingsAndCategories() async throws {
        try await withServer { server, _ in
            let first = try await server.get("/products")
            #expect(first.status == 200)
            #expect(first.header("X-Cache") == "MISS")
            #expect(first.json["count"] as? Int == 5)
            let second = try await server.get("/products")
            #expect(second.header("X-Cache") == "HIT")
            #expect(second.body == first.body)
            #expect(try await server.get("/categories").header("X-Cache") == "MISS")
            #expect(try await server.get("/categories").header("X-Cache") == "HIT")

            let created = try await server.send(
                "POST", "/products",
                json: #"{"name":"Super Widget","price":19.99,"featured":true,"category":"gizmos"}"#)
            #expect(created.status == 201)
            #expect(created.json["name"] as? String == "Super Widget")
            #expect(created.json["id"] as? Int == 6)

            let after = try await server.get("/products")
            #expect(after.header("X-Cache") == "MISS")
            #expect(after.json["count"] as? Int == 6)
            let categories = try await server.get("/categories")
            #expect(categories.header("X-Cache") == "MISS")
            #expect(categories.json["categories"] as? [String] == ["gadgets", "gizmos", "misc", "widgets"])

            let stats = try await server.get("/cache/stats").json
            #expect(stats["redis"] as? String == "up")
            #expect((stats["total_keys"] as? Int ?? 0) >= 2)
            let routes = try #require(stats["routes"] as? [String: [String: Any]])
            #expect(routes["/products"]?["hits"] as? Int == 1)
            #expect(routes["/products"]?["misses"] as? Int == 2)
            #expect(routes["/products"]?["fills"] as? Int == 2)
            #expect(routes["/products"]?["hit_rate"] as? Double == 33.33)
            #expect(routes["/categories"]?["hits"] as? Int == 1)
            #expect((stats["near_cache"] as? [String: Any])?["max_age_ms"] as? Int == 1000)  // on by default
            #expect((stats["write_fences"] as? [String: Int])?["published"] == 1)  // the POST's
        }
    }

    @Test func singleProductDeleteAndItsEntries() async throws {
        try await withServer { server, _ in
            #expect(try await server.get("/products/3").header("X-Cache") == "MISS")
            let hit = try await server.get("/products/3")
            #expect(hit.header("X-Cache") == "HIT")
            #expect(hit.json["name"] as? String == "Gadget Pro")
            #expect(try await server.get("/products/03").header("X-Cache") == "HIT")  // same product, same key
            let deleted = try await server.send("DELETE", "/products/3")
            #expect(deleted.status == 200)
            #expect(deleted.json["deleted"] as? Int == 3)
            let gone = try await server.get("/products/3")
            #expect(gone.status == 404)
            #expect(gone.json["error"] as? String == "Product not found")
            #expect(try await server.send("DELETE", "/products/3").status == 404)
        }
    }

    /// What a POST answers is what the store gives back afterwards, byte for byte.
    @Test func createdProductReadsBackAsAnswered() async throws {
        try await withServer { server, _ in
            let created = try await server.send(
                "POST", "/products", json: #"{"name": "  Ünïcødé ✓ ", "price": -0.0, "category": "tools"}"#)
            #expect(created.status == 201)
            let id = try #require(created.json["id"] as? Int)
            let read = try await server.get("/products/\(id)")
            #expect(
                read.body == created.body,
                "\(String(decoding: created.body, as: UTF8.self)) vs \(String(decoding: read.body, as: UTF8.self))")
            #expect(read.json["name"] as? String == "Ünïcødé ✓")
        }
    }

    @Test func badInputGetsClearJSONErrors() async throws {
        try await withServer { server, _ in
            let cases: [(String, String, String?, Int)] = [
                ("GET", "/products/abc", nil, 400),
                ("DELETE", "/products/abc", nil, 400),
                ("GET", "/products?featured=maybe", nil, 400),
                ("GET", "/nope", nil, 404),
                ("PUT", "/products", nil, 405),
                ("POST", "/categories", nil, 405),
                ("POST", "/products", "{not json", 400),
                ("POST", "/products", #"{"price": 3}"#, 422),
                ("POST", "/products", #"{"name": "", "price": 3}"#, 422),
                ("POST", "/products", #"{"name": "x", "price": -1}"#, 422),
                ("GET", "/products?featured=true&featured=false", nil, 400),
                ("GET", "/products?category=a&category=b", nil, 400),
                ("POST", "/products", #"{"name": "a\u0000b", "price": 1}"#, 422),
                ("POST", "/products", #"{"name": "x", "price": 1, "category": "a\nb"}"#, 422),
                ("POST", "/products", #"{"name": "x", "price": "3"}"#, 422),
                ("POST", "/products", #"{"name": "x", "price": 3, "featured": 1}"#, 422),
                ("POST", "/products", "[1,2]", 422),
                ("POST", "/products", #"{"name": "\#(String(repeating: "x", count: 70_000))", "price": 1}"#, 413),
                ("POST", "/cache/invalidate", "{}", 422),
                // Only the cache's own keys: never the generations, counters or stream beside them.
                ("POST", "/cache/invalidate", #"{"pattern": "*"}"#, 422),
                ("POST", "/cache/invalidate", #"{"pattern": "sh*"}"#, 422),
                ("POST", "/cache/invalidate", #"{"key": "cachescope:gen"}"#, 422),
            ]
            for (method, path, body, status) in cases {
                let response = try await server.send(method, path, json: body)
                #expect(response.status == status, "\(method) \(path)")
                #expect(response.header("Content-Type")?.hasPrefix("application/json") == true, "\(method) \(path)")
                #expect((response.json["error"] as? String)?.isEmpty == false, "\(method) \(path)")
            }
            let missingName = try await server.send("POST", "/products", json: #"{"price": 3}"#)
            #expect((missingName.json["error"] as? String)?.contains("name") == true)
            // Nothing was created by any of it.
            #expect(try await server.get("/products").json["count"] as? Int == 5)
        }
    }

    @Test func queryOrderAndEncodingShareOneEntry() async throws {
        try await withServer { server, _ in
            let first = try await server.get("/products?featured=true&category=widgets")
            #expect(first.header("X-Cache") == "MISS")
            #expect(try await server.get("/products?category=widgets&featured=true").header("X-Cache") == "HIT")
            #expect(try await server.get("/products?category=%77idgets&featured=true").header("X-Cache") == "HIT")
            let key = CacheKey(prefix: "shop", path: "/products", query: CanonicalQuery("category=widgets&featured=true"))
            #expect(try await server.redis.send(RedisCommand("EXISTS", key.description)) == .integer(1))
            #expect(try await server.redis.send(RedisCommand("EXISTS", "shop:/products:e3b0c442")) == .integer(0))
        }
    }

    @Test func healthAndMetrics() async throws {
        try await withServer { server, _ in
            let health = try await server.get("/health")
            #expect(health.json["status"] as? String == "ok")
            #expect(health.json["redis"] as? String == "up")
            _ = try await server.get("/products")
            _ = try await server.get("/products")
            #expect(try await server.send("POST", "/products", json: #"{"price": 3}"#).status == 422)
            let metrics = String(decoding: try await server.get("/metrics").body, as: UTF8.self)
            // A rejected request is timed and labelled with the status it got, not as a 500.
            #expect(
                metrics.contains(
                    #"http_server_request_duration_count{http_route="/products",http_request_method="POST",http_response_status_code="422"}"#
                ))
            #expect(metrics.contains(#"cachescope_cache_events_total{route="/products",outcome="hit"}"#))
            #expect(!metrics.contains("e3b0c442"))  // labelled by route, never by key
            #expect(metrics.contains("http_server_request_duration"))
        }
    }

    @Test func adminEndpointsNeedTheTokenWhenSet() async throws {
        try await withServer(configure: { $0.cache.adminToken = "s3cret" }) { server, _ in
            let body = #"{"pattern": "shop:*"}"#
            let missing = try await server.send("POST", "/cache/invalidate", json: body)
            #expect(missing.status == 401)
            #expect(missing.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
            #expect(try await server.send("POST", "/cache/warm", json: "{}").status == 401)
            for wrong in ["Bearer s3cre", "Bearer s3cretX", "Basic s3cret", "s3cret"] {
                #expect(
                    try await server.send("POST", "/cache/warm", json: "{}", headers: ["Authorization": wrong]).status == 401,
                    "\(wrong)")
            }
            let allowed = try await server.send(
                "POST", "/cache/invalidate", json: body, headers: ["Authorization": "Bearer s3cret"])
            #expect(allowed.status == 200)
            #expect(allowed.json["deleted"] as? Int == 0)
            // The scheme is case-insensitive (RFC 7235); the token is not.
            #expect(
                try await server.send("POST", "/cache/invalidate", json: body, headers: ["Authorization": "bearer s3cret"]).status
                    == 200)
            #expect(
                try await server.send("POST", "/cache/invalidate", json: body, headers: ["Authorization": "Bearer S3CRET"]).status
                    == 401)
        }
    }

    @Test func adminEndpointsRefuseNonLoopbackWithoutToken() async throws {
        try await withServer(configure: { $0.cache.host = "0.0.0.0" }) { server, _ in
            let refused = try await server.send("POST", "/cache/invalidate", json: #"{"pattern": "shop:*"}"#)
            #expect(refused.status == 403)
            #expect((refused.json["error"] as? String)?.contains("--admin-token") == true)
        }
    }

    @Test func restartKeepsAPostedProduct() async throws {
        try await withRedis { redis in
            let database = TestServer.temporaryDatabase()
            let first = try await TestServer.start(redis: redis.endpoint, store: .sqlite(path: database))
            #expect(try await first.send("POST", "/products", json: #"{"name":"Kept","price":1}"#).status == 201)
            await first.stop()
            let second = try await TestServer.start(redis: redis.endpoint, store: .sqlite(path: database))
            let product = try await second.get("/products/6")
            await second.stop()
            #expect(product.status == 200)
            #expect(product.json["name"] as? String == "Kept")
        }
    }
}
