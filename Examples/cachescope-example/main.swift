import ArgumentParser
import CacheScopeKit
import Foundation
import Hummingbird
import Logging

/// The smallest app on CacheScopeKit, and its runnable documentation (`docs/library.md`):
/// one cached route, one write that invalidates it, and everything else from the library:
/// keys, X-Cache, single-flight, guarded fills, the near cache, /cache/*, /health, /metrics,
/// events and counters for `cachescope watch --prefix example`.
@main
struct Example: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cachescope-example", abstract: "Greetings, cached in Redis by CacheScopeKit.")

    @Option(help: "Port to listen on (0 for any free port).")
    var port = 8080

    @Option(help: "Redis URL. Default: $REDIS_URL, else redis://127.0.0.1:6379, else a private embedded redis-server.")
    var redis: String?

    func run() async throws {
        let logger = Logger(label: "cachescope-example")
        // 1. Declare each cacheable route once: pattern, key prefix, TTL, and how to load it.
        let greetings = CachedRoute("/greetings/{name}", prefix: "example", ttl: .seconds(30)) { request in
            let name = request.parameter("name")
            return OriginLoad {
                try await Task.sleep(for: .milliseconds(100))  // a slow origin
                return .json(["greeting": "Hello, \(name)"])
            }
        }
        do {
            try await CacheServer.serve(redisFlag: redis, logger: logger) { redis in
                var configuration = CacheConfiguration()
                configuration.port = port
                configuration.redis = redis.endpoint
                let cache = try CacheScope(configuration: configuration, routes: [greetings], logger: logger)
                // 2. Writes stay the app's; they tell the cache what they changed.
                let router = cache.makeRouter { router in
                    router.post("/greetings/{name}/invalidate") { request, context in
                        let path = greetings.pattern.path(["name": context.parameters.get("name") ?? ""])
                        let entries = greetings.entries(ofPath: path)
                        guard let deleted = await cache.invalidate([entries], reason: "POST \(request.uri.path)") else {
                            throw APIError(503, "Redis is unreachable; the invalidation is queued")
                        }
                        return Response.json(.json(["deleted": deleted]))
                    }
                }
                return CacheServer(cache: cache, router: router, logger: logger)
            } whileServing: { server, _, _ in
                try await server.wait()
            }
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("cachescope-example: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
