import Foundation
import ProductAPI
import TestSupport
import Testing

/// Servers on a real PostgreSQL and a real Redis: a fleet shares both, and a database that dies
/// degrades the service (STALE copies, 503s with `Retry-After`) until it is back.
@Suite struct PostgresStoreServerTests {
    @Test func aWriteOnOneServerIsReadOnEachOfTheOthers() async throws {
        try await withPostgres { cluster in
            let store = StoreLocation.postgres(try await cluster.createDatabase())
            try await withRedis { redis in
                var servers: [TestServer] = []
                for _ in 0..<3 { servers.append(try await TestServer.start(redis: redis.endpoint, store: store)) }
                for server in servers { #expect(try await server.get("/products").json["count"] as? Int == 5) }
                for (index, writer) in servers.enumerated() {
                    let created = try await writer.send(
                        "POST", "/products", json: #"{"name": "Fleet \#(index)", "price": 1, "category": "fleet"}"#)
                    #expect(created.status == 201)
                    let id = try #require(created.json["id"] as? Int)
                    for reader in servers where reader !== writer {
                        let product = try await reader.get("/products/\(id)")
                        #expect(product.status == 200, "server \(index)'s product \(id) on another server")
                        #expect(product.json["name"] as? String == "Fleet \(index)")
                        let listing = try await reader.get("/products?category=fleet")
                        #expect(listing.json["count"] as? Int == index + 1, "the listing holds every product written so far")
                    }
                }
                for server in servers { await server.stop() }
            }
        }
    }

    @Test func aStoppedDatabaseServesStaleCopiesAnd503sThenRecoversOnItsOwn() async throws {
        try await withPostgres { cluster in
            let store = StoreLocation.postgres(try await cluster.createDatabase())
            try await withRedis { redis in
                let server = try await TestServer.start(redis: redis.endpoint, store: store) {
                    $0.ttls = ["/products": .seconds(1)]
                    $0.routeOptions.grace = .seconds(60)
                    $0.cache.originTimeout = .milliseconds(500)
                }
                #expect(try await server.get("/products").status == 200)
                #expect(try await server.get("/health").json["origin"] as? String == "up")
                try await Task.sleep(for: .milliseconds(1_500))  // past the listing's TTL, within its grace

                await cluster.stop()
                var statuses: [Int: Int] = [:]
                var cacheStates: Set<String> = []
                let outageEnds = ContinuousClock.now + .seconds(3)
                while ContinuousClock.now < outageEnds {
                    for (method, path) in [("GET", "/products"), ("GET", "/products/2"), ("POST", "/products")] {
                        let response = try await server.send(
                            method, path, json: method == "POST" ? #"{"name": "During", "price": 1}"# : nil)
                        statuses[response.status, default: 0] += 1
                        if method == "GET", path == "/products" {
                            cacheStates.insert(response.header("X-Cache") ?? "\(response.status) \(response.json)")
                        }
                        if response.status >= 500 {
                            #expect(response.status == 503, "\(method) \(path)")
                            #expect(response.header("Retry-After") != nil, "\(method) \(path)")
                            #expect(response.json["error"] is String, "\(method) \(path)")
                        }
                    }
                }
                #expect(cacheStates == ["STALE"], "the listing's copy is served for as long as the store is down")
                #expect(statuses[503, default: 0] > 0)
                #expect(Set(statuses.keys).isSubset(of: [200, 503]))
                let health = try await server.get("/health").json
                #expect(health["origin"] as? String == "down")
                #expect(health["origin_error"] is String)
                let stats = try await server.get("/cache/stats").json["origin"] as? [String: Any]
                #expect(stats?["state"] as? String == "down")

                try await cluster.restart()
                let restarted = ContinuousClock.now
                // Only /health is asked: the server finds the store back by itself (its probe), no request needed.
                let healthy = await waitUntil(timeout: .seconds(10), every: .milliseconds(100)) {
                    (try? await server.get("/health").json["origin"] as? String) == "up"
                }
                let recovery = ContinuousClock.now - restarted
                #expect(healthy)
                #expect(recovery < .seconds(5), "reported up \(recovery) after the restart")
                #expect(try await server.get("/products/2").status == 200)
                #expect(try await server.send("POST", "/products", json: #"{"name": "After", "price": 1}"#).status == 201)
                await server.stop()
            }
        }
    }
}
