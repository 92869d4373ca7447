import CacheProtocol
import Foundation
import LoadGenerator
import RedisClient
import TestSupport
import Testing

/// `cachescope-example`, the smallest app on CacheScopeKit, run as a user runs it, and watched by
/// `cachescope watch --prefix example` in a real terminal.
@Suite(.serialized) struct ExampleAppTests {
    let tmux = Tmux()

    @Test func exampleCachesGreetingsAndWatchShowsThem() async throws {
        try await withRedis { redis in
            let port = Binary.freePort()
            let log = Scratch.path("example-\(UUID().uuidString).log")
            let app = try ChildProcess(
                path: Binary.examplePath, arguments: ["--port", String(port), "--redis", "\(redis.endpoint)"],
                outputPath: log)
            defer { Task { await app.terminate() } }
            let base = "http://127.0.0.1:\(port)"
            #expect(await Binary.waitUntilServing(base + "/health"))
            let client = HTTPClient()
            let first = try await client.get(base + "/greetings/ada")
            #expect(first.status == 200)
            #expect(first.header("X-Cache") == "MISS")
            #expect(first.json["greeting"] as? String == "Hello, ada")
            let second = try await client.get(base + "/greetings/ada")
            #expect(second.header("X-Cache") == "HIT")
            #expect(second.body == first.body)

            let probe = RedisPipeline(endpoint: redis.endpoint, name: "probe", options: .background)
            defer { probe.stop() }
            let key = "example:/greetings/ada:e3b0c442"
            let ttl = try await probe.send(RedisCommand("PTTL", key)).int ?? -2
            #expect(ttl > 0 && ttl <= 30_000, "stored with the declared TTL of 30 s")
            let eventsPublished = await waitUntil {
                let entries = (try? await probe.send(RedisCommand("XRANGE", KeySchema().events, "-", "+")))?.elements ?? []
                let outcomes = entries.compactMap(EventStream.event(inEntry:)).filter { $0.key == key }.map(\.outcome)
                return outcomes == [.miss, .fill, .hit] || outcomes == [.fill, .miss, .hit]
            }
            #expect(eventsPublished, "miss, fill and hit of the key are in the stream")

            let command =
                "\(Binary.path) watch --redis \(redis.endpoint) --prefix example --log-file \(log).watch; echo EXIT=$?; sleep 20"
            try await tmux.start(command)
            defer { tmux.kill() }
            let text = try await tmux.waitForScreen { screen in
                screen.split(separator: "\n").contains { $0.hasPrefix(key) && $0.contains("/greetings/{n") }
            }
            let row = text.split(separator: "\n").first { $0.hasPrefix(key) } ?? ""
            // The route column (cut to its width) names the declared route, learned from the app's announcement.
            #expect(row.contains("/greetings/{n"), "screen: \(text)")
            #expect(row.contains(/\d+s/), "a TTL countdown")

            let invalidated = try await client.send("POST", base + "/greetings/ada/invalidate")
            #expect(invalidated.status == 200)
            #expect(invalidated.json["deleted"] as? Int == 1)
            #expect(try await probe.send(RedisCommand("EXISTS", key)) == .integer(0))
            #expect(try await client.get(base + "/greetings/ada").header("X-Cache") == "MISS")

            try await tmux.send("q")
            #expect(try await tmux.waitForScreen { $0.contains("EXIT=") }.contains("EXIT=0"))
        }
    }
}
