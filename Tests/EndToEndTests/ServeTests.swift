import Foundation
import LoadGenerator
import RedisClient
import TestSupport
import Testing

@Suite struct ServeTests {
    @Test func sigtermStopsTheServerWithExitZero() async throws {
        try await withRedis { redis in
            let port = Binary.freePort()
            let database = TestServer.temporaryDatabase()
            let log = Scratch.path("serve-\(port).log")
            let child = try ChildProcess(
                path: Binary.path,
                arguments: [
                    "serve", "--port", String(port), "--db", database, "--redis", "\(redis.endpoint)", "--origin-delay", "0",
                ],
                outputPath: log)
            #expect(await Binary.waitUntilServing("http://127.0.0.1:\(port)/health"))
            let client = HTTPClient()
            #expect(try await client.get("http://127.0.0.1:\(port)/products").header("X-Cache") == "HIT")  // warmed at start
            let clock = ContinuousClock()
            let start = clock.now
            child.signal(SIGTERM)
            let code = await child.wait(timeout: .seconds(5))
            #expect(code == 0)
            #expect(clock.now - start < .seconds(5))
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(output.contains("warm-up"))
            #expect(output.contains("stopped"))
            if code == nil { await child.terminate() }
        }
    }

    /// A signal while the server is still warming up (before it listens) stops it cleanly too.
    @Test func sigtermDuringStartUpExitsZero() async throws {
        try await withRedis { redis in
            let log = Scratch.path("startup-\(UUID().uuidString).log")
            let child = try ChildProcess(
                path: Binary.path,
                arguments: [
                    "serve", "--port", String(Binary.freePort()), "--db", TestServer.temporaryDatabase(), "--redis",
                    "\(redis.endpoint)",
                    "--origin-delay", "2s",
                ], outputPath: log)
            var output = ""
            await waitUntil(timeout: .seconds(10)) {
                output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                return output.contains("Redis connection up")
            }
            child.signal(SIGTERM)  // warm-up is loading with a 2 s origin delay: not listening yet
            let code = await child.wait(timeout: .seconds(8))
            #expect(code == 0, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            if code == nil { await child.terminate() }
        }
    }

    @Test func badFlagsExitTwoNamingTheFlag() async throws {
        let setUp = ["serve", "--redis", "redis://127.0.0.1:1/0", "--log-level", "critical"]
        let cases: [([String], String)] = [
            (["serve", "--port", "70000"], "--port"),
            (["serve", "--origin-delay", "soon"], "--origin-delay"),
            (["serve", "--redis", "http://nope"], "--redis"),
            (["serve", "--ttl-jitter", "3"], "--ttl-jitter"),
            (["serve", "--near-cache", "later"], "--near-cache"),
            (["serve", "--negative-ttl", "soon"], "--negative-ttl"),
            (["serve", "--ttl", "products"], "--ttl"),
            (["serve", "--ttl", "/products=0"], "--ttl"),
            (["serve", "--log-level", "loud"], "--log-level"),
            (["serve", "--early-refresh", "0"], "--early-refresh"),
            (["serve", "--early-refresh", "soon"], "--early-refresh"),
            (["serve", "--grace", "soon"], "--grace"),
            (["serve", "--origin-timeout", "0"], "--origin-timeout"),
            (["stat", "--interval", "1s"], "--count"),
            (["stat", "--window", "never"], "--window"),
            (["load", "--url", "http://127.0.0.1:1", "--duration", "1s"], "--url"),
            // Found only once the server is set up; Redis is never reached (logs off).
            (setUp + ["--db", "/proc/nowhere/x.db"], "--db"),
            (setUp + ["--db", TestServer.temporaryDatabase(), "--warm", "/nope"], "--warm"),
            (setUp + ["--db", TestServer.temporaryDatabase(), "--ttl", "/nope=2s"], "--ttl"),
            (setUp + ["--db", TestServer.temporaryDatabase(), "--host", "999.1.1.1", "--port", "0"], "--host"),
            (["serve", "--store", "mysql://u@127.0.0.1/db"], "--store"),
            (["serve", "--store", "postgres://u@127.0.0.1:5432"], "--store"),
            (["serve", "--store-pool", "0"], "--store-pool"),
            // Nothing listens on port 1: found when the schema is readied, before listening.
            (setUp + ["--store", "postgres://u:sekret@127.0.0.1:1/db"], "--store"),
        ]
        for (arguments, flag) in cases { try await expectUsageError(arguments, naming: flag) }
        // A port something else holds (here a Redis): the bind fails, and the error says which flags to change.
        try await withRedis { redis in
            guard case .tcp(_, let busy) = redis.endpoint.address else { return }
            try await expectUsageError(
                setUp + ["--db", TestServer.temporaryDatabase(), "--no-warm", "--port", String(busy)], naming: "--port")
        }
    }

    private func expectUsageError(_ arguments: [String], naming flag: String) async throws {
        let log = Scratch.path("flags-\(UUID().uuidString).log")
        let child = try ChildProcess(path: Binary.path, arguments: arguments, outputPath: log)
        let code = await child.wait(timeout: .seconds(10))
        #expect(code == 2, "\(arguments)")
        if code == nil { await child.terminate() }  // it started instead: leave nothing running
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(output.contains(flag), "\(arguments): \(output)")
        #expect(output.split(separator: "\n").count == 1, "\(arguments): \(output)")
        #expect(!output.contains("sekret"), "no password is ever printed: \(output)")
    }
}
