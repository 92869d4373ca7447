import CacheCore
import CacheScopeKit
import Foundation
import Logging
import ProductAPI
import RedisClient
import TestSupport
import Testing

/// Everything about routes is derived from their one declaration: the 405 lists come from the
/// router, and the OpenAPI document lists exactly the routes the app registers.
@Suite struct DeclaredRoutesTests {
    @Test func allowListsComeFromTheRoutesRegistered() async throws {
        try await withServer { server, _ in
            let cases = [
                ("PUT", "/products", "GET, POST"), ("PATCH", "/products/5", "GET, DELETE"),
                ("POST", "/categories", "GET"), ("GET", "/cache/warm", "POST"), ("HEAD", "/health", "GET"),
            ]
            for (method, path, allowed) in cases {
                let response = try await server.send(method, path)
                #expect(response.status == 405, "\(method) \(path)")
                #expect(response.header("Allow") == allowed, "\(method) \(path)")
            }
            // Only routes this server has: the benchmark floor is off here, so it is unknown, not a 405.
            #expect(try await server.send("POST", "/bench/static").status == 404)
        }
        try await withServer(configure: { $0.benchmarkRoute = true }) { server, _ in
            let response = try await server.send("POST", "/bench/static")
            #expect(response.status == 405)
            #expect(response.header("Allow") == "GET")
        }
    }

    @Test func openAPIDocumentListsExactlyTheDeclaredRoutes() throws {
        var configuration = ServerConfiguration()
        configuration.store = .sqlite(path: TestServer.temporaryDatabase())
        let product = try ProductServer(configuration: configuration, logger: Logger(label: "routes-test"))
        defer { product.cache.shutdown() }
        let declared = Set(product.makeRouter().routes.map { "\($0.method.rawValue) \(RoutePattern($0.path.description))" })
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let yaml = try String(contentsOf: root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        var documented = Set<String>()
        var path: String?
        for line in yaml.split(separator: "\n") {
            if let match = line.wholeMatch(of: #/  (/\S*):/#) { path = String(match.1) }
            if let match = line.wholeMatch(of: #/    (get|put|post|delete|patch|head|options):/#), let path {
                documented.insert("\(match.1.uppercased()) \(path)")
            }
        }
        #expect(declared.count >= 10)
        #expect(documented == declared, "docs/openapi.yaml and the router disagree")
    }

    @Test func ttlFlagsReplaceTheDeclaredTTLs() async throws {
        try await withServer(configure: {
            $0.ttls = ["/products": .seconds(30)]
            $0.routeOptions.grace = .zero  // Redis keeps an entry for TTL + grace
        }) { server, _ in
            _ = try await server.get("/products")
            _ = try await server.get("/categories")
            let listing = try await server.redis.send(RedisCommand("PTTL", "shop:/products:e3b0c442")).int ?? -2
            let categories = try await server.redis.send(RedisCommand("PTTL", "shop:/categories:e3b0c442")).int ?? -2
            #expect(listing > 0 && listing <= 30_000)
            #expect(categories > 30_000, "other routes keep their own")
        }
        var configuration = ServerConfiguration()
        configuration.store = .sqlite(path: TestServer.temporaryDatabase())
        configuration.ttls = ["/nope": .seconds(1)]
        #expect(throws: ConfigurationError.self) { try ProductServer(configuration: configuration, logger: Logger(label: "t")) }
    }

    @Test func warmTargetsComeFromTheDeclarations() throws {
        var configuration = ServerConfiguration()
        configuration.store = .sqlite(path: TestServer.temporaryDatabase())
        let product = try ProductServer(configuration: configuration, logger: Logger(label: "routes-test"))
        defer { product.cache.shutdown() }
        #expect(product.cache.warmTargets == ["/products", "/products?featured=true", "/categories"])
    }
}
