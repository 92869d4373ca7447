import Foundation
import LoadGenerator
import RedisClient
import TestSupport
import Testing

/// `cachescope` in a real terminal: tmux runs it, send-keys types, capture-pane reads the screen.
@Suite(.serialized) struct DashboardTmuxTests {
    let tmux = Tmux()

    @Test func dashboardShowsInvalidatesAndRewarmsAKey() async throws {
        try await withRedis { redis in
            let port = Binary.freePort()
            let database = TestServer.temporaryDatabase()
            let command =
                "\(Binary.path) --port \(port) --db \(database) --redis \(redis.endpoint) --no-warm --origin-delay 0 --log-file \(database).log; echo EXIT=$?; sleep 20"
            try await tmux.start(command)
            defer { tmux.kill() }
            #expect(await Binary.waitUntilServing("http://127.0.0.1:\(port)/health"))
            let client = HTTPClient()
            let key = "shop:/products:e3b0c442"
            #expect(try await client.get("http://127.0.0.1:\(port)/products").header("X-Cache") == "MISS")
            #expect(try await client.get("http://127.0.0.1:\(port)/products").header("X-Cache") == "HIT")

            var text = try await tmux.waitForScreen { $0.contains(key) && $0.contains("HIT") && $0.contains("MISS") }
            #expect(text.contains(key))
            let keyLine = text.split(separator: "\n").first { $0.hasPrefix(key) } ?? ""
            #expect(keyLine.contains("/products"))
            #expect(keyLine.contains(/\d+m\d+s|\d+s/))  // a TTL countdown
            #expect(text.contains("FILL"))

            try await tmux.send("i")
            text = try await tmux.waitForScreen {
                !$0.split(separator: "\n").contains { $0.hasPrefix(key) } && $0.contains("invalidated")
            }
            #expect(!text.split(separator: "\n").contains { $0.hasPrefix(key) })
            #expect(text.contains("invalidated 1 key"))
            let probe = RedisPipeline(endpoint: redis.endpoint, name: "probe", options: .background)
            defer { probe.stop() }
            #expect(try await probe.send(RedisCommand("EXISTS", key)) == .integer(0))

            try await tmux.send("W")
            text = try await tmux.waitForScreen {
                $0.split(separator: "\n").contains { $0.hasPrefix(key) } && $0.contains("WARM")
            }
            #expect(text.split(separator: "\n").contains { $0.hasPrefix(key) })
            #expect(text.contains("WARM"))
            #expect(try await probe.send(RedisCommand("EXISTS", key)) == .integer(1))

            try await tmux.run("resize-window", "-t", tmux.session, "-x", "90", "-y", "30")
            text = try await tmux.waitForScreen { $0.split(separator: "\n").count <= 30 && $0.contains("CacheScope") }
            #expect(text.split(separator: "\n", omittingEmptySubsequences: false).allSatisfy { $0.count <= 90 })

            try await tmux.send("q")
            text = try await tmux.waitForScreen { $0.contains("EXIT=") }
            #expect(text.contains("EXIT=0"))
            #expect(!text.contains("CacheScope  redis"))  // the terminal was restored
        }
    }

    /// `watch` beside a headless `serve`: the header shows the server (found through its announcement,
    /// with its near cache), the key row's HITS and MISS equal the `X-Cache` headers the client
    /// received, and `W` re-warms through the announced server (no `--server` given).
    @Test func watchShowsWhatAHeadlessServerDid() async throws {
        try await withRedis { redis in
            let (server, port) = try Binary.serve(
                redis: redis.endpoint, ["--no-warm", "--origin-delay", "0", "--near-cache", "1s"])
            defer { Task { await server.terminate() } }
            #expect(await Binary.waitUntilServing("http://127.0.0.1:\(port)/health"))
            let command =
                "\(Binary.path) watch --redis \(redis.endpoint) --log-file \(Scratch.path("watch-\(port).log")); echo EXIT=$?; sleep 20"
            try await tmux.start(command)
            defer { tmux.kill() }

            let client = HTTPClient()
            var received: [String: Int] = [:]
            for _ in 0..<Int.random(in: 3...9) {
                let status = try await client.get("http://127.0.0.1:\(port)/products").header("X-Cache") ?? "none"
                received[status, default: 0] += 1
            }
            #expect(received["MISS"] == 1)
            let key = "shop:/products:e3b0c442"
            func counts(_ text: String) -> (hits: Int, misses: Int)? {
                guard let row = text.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return nil }
                let columns = row.split(separator: " ")
                guard columns.count > 3, let hits = Int(columns[2]), let misses = Int(columns[3]) else { return nil }
                return (hits, misses)
            }
            let expected = (hits: received["HIT"] ?? 0, misses: received["MISS"] ?? 0)
            var text = try await tmux.waitForScreen { counts($0).map { $0 == expected } ?? false }
            #expect(counts(text).map { $0 == expected } == true, "screen: \(text)")
            text = try await tmux.waitForScreen { $0.contains("servers 1 (near 1)") }
            #expect(text.contains("servers 1 (near 1)"), "screen: \(text)")

            try await tmux.send("i")
            text = try await tmux.waitForScreen { $0.contains("invalidated 1 key") }
            #expect(text.contains("invalidated 1 key"))
            try await tmux.send("W")
            text = try await tmux.waitForScreen {
                $0.split(separator: "\n").contains { $0.hasPrefix(key) } && $0.contains("WARM")
            }
            #expect(text.contains("WARM"))  // warmed by the server, published by it, read back by watch
            text = try await tmux.waitForScreen { $0.contains("(via http://127.0.0.1:\(port))") }
            // The three default targets, all cold: the server ran with --no-warm and `i` removed the one filled.
            #expect(text.contains("warmed 3 targets"), "the announced server was found and did the warm: \(text)")
            #expect(try await client.get("http://127.0.0.1:\(port)/products").header("X-Cache") == "HIT")

            try await tmux.send("q")
            text = try await tmux.waitForScreen { $0.contains("EXIT=") }
            #expect(text.contains("EXIT=0"))
        }
    }

    @Test func noTerminalExitsTwoSuggestingServe() async throws {
        let log = Scratch.path("notty-\(UUID().uuidString).log")
        let child = try ChildProcess(path: Binary.path, arguments: ["--port", "0"], outputPath: log)
        #expect(await child.wait(timeout: .seconds(10)) == 2)
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(output.contains("cachescope serve"))
    }
}
