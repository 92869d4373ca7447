import Foundation
import TestSupport
import Testing

/// A store that fails or is too slow is a 503 with `Retry-After`, never a 500; nothing of it is
/// cached, and the next request after it recovers loads again.
@Suite struct OriginFailureTests {
    @Test func aFailingStoreIsA503ThatIsNotCached() async throws {
        try await withServer { server, _ in
            let on = try await server.send("POST", "/debug/origin", json: #"{"fail": true}"#)
            #expect(on.status == 200)
            #expect(on.json["failing"] as? Bool == true)
            for path in ["/products", "/products/1", "/categories"] {
                let response = try await server.get(path)
                #expect(response.status == 503, "\(path)")
                #expect(response.header("Retry-After") == "1", "\(path)")
                #expect((response.json["error"] as? String)?.contains("origin") == true, "\(path)")
            }
            _ = try await server.send("POST", "/debug/origin", json: #"{"fail": false}"#)
            let recovered = try await server.get("/products")
            #expect(recovered.status == 200)
            #expect(recovered.header("X-Cache") == "MISS", "the failure was not cached")
            #expect(try await server.send("POST", "/debug/origin", json: #"{"fail": "yes"}"#).status == 422)
        }
    }

    @Test func aStoreSlowerThanTheOriginTimeoutIsA503() async throws {
        try await withServer(configure: {
            $0.originDelay = .seconds(10)
            $0.cache.originTimeout = .milliseconds(200)
        }) { server, _ in
            let started = ContinuousClock.now
            let response = try await server.get("/categories")
            #expect(response.status == 503)
            #expect(response.header("Retry-After") == "1")
            #expect(ContinuousClock.now - started < .seconds(5), "answered at the timeout, not after the 10 s load")
        }
    }

    @Test func theDebugSwitchIsAdminOnly() async throws {
        try await withServer(configure: { $0.cache.adminToken = "s3cret" }) { server, _ in
            let refused = try await server.send("POST", "/debug/origin", json: #"{"fail": true}"#)
            #expect(refused.status == 401)
            #expect(try await server.get("/products").status == 200, "nothing changed")
        }
    }
}
