import CacheCore
import CacheProtocol
import Foundation
import LoadGenerator
import RedisClient
import TestSupport
import Testing

/// The dashboard's views under real load in a real terminal, and `cachescope stat` against the
/// same fleet counters.
@Suite(.serialized) struct ViewsAndStatTests {
    let tmux = Tmux()

    /// Serves with a short /products TTL under a load (of `loadFor`, or until the end), so every view
    /// has live numbers.
    private func withLoadedServer(
        loadFor duration: String = "0", _ body: (_ port: Int, _ redis: EmbeddedRedis, _ load: ChildProcess) async throws -> Void
    ) async throws {
        try await withRedis { redis in
            let (server, port) = try Binary.serve(redis: redis.endpoint, ["--origin-delay", "5ms", "--ttl", "/products/{id}=2s"])
            defer { Task { await server.terminate() } }
            #expect(await Binary.waitUntilServing("http://127.0.0.1:\(port)/health"))
            let load = try ChildProcess(
                path: Binary.path,
                arguments: ["load", "--url", "http://127.0.0.1:\(port)", "--duration", duration, "--rps", "100"],
                outputPath: Scratch.path("load-\(port).log"))
            defer { Task { await load.terminate() } }
            try await body(port, redis, load)
        }
    }

    @Test func numberKeysSwitchViewsUnderLoad() async throws {
        try await withLoadedServer { _, redis, _ in
            try await tmux.start("\(Binary.path) watch --redis \(redis.endpoint) --log-file /dev/null; sleep 20")
            defer { tmux.kill() }
            var text = try await tmux.waitForScreen {
                $0.contains("1 Keys  2 Routes  3 Top  4 Latency  5 Expiry  6 Loads") && $0.contains("shop:/")
            }
            #expect(text.contains("KEY ("))
            try await tmux.send("Enter")
            text = try await tmux.waitForScreen { $0.contains("(Esc closes)") && $0.contains("lookups   hits") }
            #expect(text.contains("request   /"), "the selected key's canonical request: \(text)")
            try await tmux.send("Escape")
            text = try await tmux.waitForScreen { $0.contains("TIME (UTC)") }
            // A query narrows the log to misses.
            try await tmux.send("-l", ":event == miss")
            try await tmux.send("Enter")
            text = try await tmux.waitForScreen { screen in
                let log = screen.split(separator: "\n").drop { !$0.hasPrefix("TIME (UTC)") }.dropFirst()
                    .filter { $0.first?.isNumber == true }
                return screen.contains("query: event == miss") && log.count >= 2
                    && log.allSatisfy { $0.dropFirst(13).hasPrefix("MISS ") }
            }
            #expect(text.contains("query: event == miss"), "\(text)")
            try await tmux.send(":")
            for _ in 0..<14 { try await tmux.send("BSpace") }
            try await tmux.send("Enter")
            text = try await tmux.waitForScreen { !$0.contains("query: event") }

            try await tmux.send("2")
            text = try await tmux.waitForScreen {
                $0.contains("ROUTE") && $0.contains("/products/{id}") && $0.contains("misses █")
            }
            #expect(text.contains("Redis-wide keyspace hit rate"))
            #expect(text.contains("cold"), "misses by cause, with their shares: \(text)")

            try await tmux.send("3")
            text = try await tmux.waitForScreen { $0.contains("keys by MISS rate") && $0.contains("shop:/products") }
            try await tmux.send("e")
            text = try await tmux.waitForScreen { $0.contains("keys by FILL rate") }

            try await tmux.send("4")
            text = try await tmux.waitForScreen { $0.contains("latency of the last") && $0.contains("|") && $0.contains("1ms") }
            #expect(!text.contains("latency of the last 0 answers"))

            try await tmux.send("5")
            text = try await tmux.waitForScreen { $0.contains("keys expiring in each of the next") && $0.contains("|10s") }
            #expect(text.contains("with a known TTL"))

            try await tmux.send("6")
            text = try await tmux.waitForScreen {
                $0.contains("origin loads in flight now:") && $0.contains("fills the guard refused")
            }
            try await tmux.send("Tab")
            text = try await tmux.waitForScreen { $0.contains("KEY (") }
            #expect(text.contains("KEY ("), "Tab from the last view wraps to Keys")
        }
    }

    /// `--readonly` refuses `i` (the key stays in Redis), and `NO_COLOR` leaves no colour escape on screen.
    @Test func readOnlyChangesNothingAndNoColorHasNoColours() async throws {
        try await withLoadedServer { _, redis, _ in
            try await tmux.start(
                "NO_COLOR=1 \(Binary.path) watch --readonly --redis \(redis.endpoint) --log-file /dev/null; sleep 20")
            defer { tmux.kill() }
            var text = try await tmux.waitForScreen { $0.contains("KEY (") && $0.contains("shop:/") }
            let selected = try #require(
                text.split(separator: "\n").first { $0.hasPrefix("shop:/") }.map { String($0.split(separator: " ")[0]) })
            try await tmux.send("i")
            text = try await tmux.waitForScreen { $0.contains("read-only") }
            #expect(text.contains("read-only (--readonly)"))
            let probe = RedisPipeline(endpoint: redis.endpoint, name: "probe", options: .background)
            defer { probe.stop() }
            let key = selected.hasSuffix("…") ? nil : selected
            if let key { #expect(try await probe.send(RedisCommand("EXISTS", key)) == .integer(1), "\(key) is still there") }
            let entries = try await probe.send(RedisCommand("XRANGE", KeySchema().events, "-", "+")).elements
            let fromDashboard = entries.compactMap(EventStream.event(inEntry:)).filter { $0.server == "dashboard" }
            #expect(fromDashboard.isEmpty, "the dashboard invalidated nothing")
            let styled = try await tmux.run("capture-pane", "-p", "-e", "-t", tmux.session)
            #expect(styled.contains("\u{1B}["), "attributes (bold, reverse) are still drawn")
            // A colour is 30–38, 40–48, 90–97 or 100–107; 39 and 49 only reset to the default.
            let colour = /\x1B\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9;]*)?m/
            #expect(styled.firstMatch(of: colour) == nil, "no colour escape with NO_COLOR")
        }
    }

    /// A session recorded with `watch --record` replays with Redis gone: the same keys on screen,
    /// the replay's status, and its pause.
    @Test func recordThenReplayWithRedisStopped() async throws {
        let file = Scratch.path("recording-\(UUID().uuidString).ndjson")
        try await withLoadedServer { _, redis, _ in
            try await tmux.start(
                "\(Binary.path) watch --redis \(redis.endpoint) --record \(file) --log-file /dev/null; sleep 20")
            defer { tmux.kill() }
            _ = try await tmux.waitForScreen { $0.contains("shop:/products") }
            try await Task.sleep(for: .seconds(5))
            try await tmux.send("q")
            await waitUntil { ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").count >= 4 }
        }  // Redis is stopped here
        let recorded = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        #expect(recorded.count >= 4, "a header and a poll a second")
        #expect(recorded.first?.contains("\"cachescope_recording\":1") == true)
        try await tmux.start("\(Binary.path) replay \(file) --speed 4; echo EXIT=$?; sleep 20")
        defer { tmux.kill() }
        var screen = try await tmux.waitForScreen { $0.contains("shop:/products") && $0.contains("replay ") }
        #expect(screen.contains("mode replay"), "\(screen)")
        try await tmux.send("Space")
        screen = try await tmux.waitForScreen { $0.contains("PAUSED") }
        #expect(screen.contains("PAUSED"))
        try await tmux.send("q")
        screen = try await tmux.waitForScreen { $0.contains("EXIT=") }
        #expect(screen.contains("EXIT=0"))
    }

    @Test func statPrintsTheFleetCountersAndAssertsOnThem() async throws {
        try await withLoadedServer(loadFor: "3s") { port, redis, load in
            let client = HTTPClient()
            await waitUntil(timeout: .seconds(10)) {
                let routes = (try? await client.get("http://127.0.0.1:\(port)/cache/stats").json["routes"]) as? [String: Any]
                return ((routes?["/products"] as? [String: Any])?["hits"] as? Int ?? 0) > 5
            }
            func stat(_ arguments: [String]) async throws -> (code: Int32?, output: String) {
                let log = Scratch.path("stat-\(UUID().uuidString).log")
                let child = try ChildProcess(
                    path: Binary.path, arguments: ["stat", "--redis", "\(redis.endpoint)"] + arguments, outputPath: log)
                let code = await child.wait(timeout: .seconds(20))
                if code == nil { await child.terminate() }
                return (code, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
            }
            // The server announces itself every second for 5 s at a time; on a starved machine an
            // announcement can lapse for a moment, so a sample that counts no server is taken again.
            var json: [String: Any] = [:]
            for _ in 0..<5 where json["servers"] as? Int != 1 {
                let sample = try await stat(["--once", "--json", "--window", "500ms"])
                #expect(sample.code == 0, "\(sample.output)")
                json = try #require(
                    try JSONSerialization.jsonObject(with: Data(sample.output.utf8)) as? [String: Any], "\(sample.output)")
            }
            #expect(json["version"] as? Int == 1)
            #expect(json["servers"] as? Int == 1)
            // Once the load is over and the publisher has flushed, the fleet's counters (one server
            // here) are the server's own, field by field.
            _ = await load.wait(timeout: .seconds(15))
            try await Task.sleep(for: .milliseconds(500))
            let final = try await stat(["--once", "--json", "--window", "200ms"])
            let finalJSON = try #require(try JSONSerialization.jsonObject(with: Data(final.output.utf8)) as? [String: Any])
            let serverRoutes = try #require(
                try await client.get("http://127.0.0.1:\(port)/cache/stats").json["routes"] as? [String: [String: Any]])
            let statRoutes = try #require(finalJSON["routes"] as? [String: [String: Any]])
            for route in ["/products", "/products/{id}", "/categories"] {
                for field in ["hits", "misses", "fills", "origin_fetches", "coalesced", "stale", "negative_hits", "refused"] {
                    #expect(
                        statRoutes[route]?[field] as? Int == serverRoutes[route]?[field] as? Int,
                        "\(route) \(field): stat \(statRoutes[route]?[field] ?? "-"), server \(serverRoutes[route]?[field] ?? "-")"
                    )
                }
                #expect(
                    statRoutes[route]?["misses_by_cause"] as? [String: Int]
                        == serverRoutes[route]?["misses_by_cause"] as? [String: Int], "\(route)")
            }
            #expect((serverRoutes["/products"]?["hits"] as? Int ?? 0) > 0)
            let statRoute = try #require(statRoutes["/categories"])
            let causes = try #require(statRoute["misses_by_cause"] as? [String: Int])
            #expect(causes.values.reduce(0, +) == statRoute["misses"] as? Int)

            #expect(try await stat(["--assert", "servers >= 1", "--window", "200ms"]).code == 0)
            let failed = try await stat(["--assert", "servers >= 5", "--window", "200ms"])
            #expect(failed.code == 1)
            #expect(failed.output.contains("assertion failed: servers >= 5: servers is 1"))
            let bad = try await stat(["--assert", "servers is big"])
            #expect(bad.code == 2)
            #expect(bad.output.contains("--assert"))
            let text = try await stat(["--window", "200ms"])
            #expect(text.code == 0)
            #expect(text.output.contains("ROUTE") && text.output.contains("/products/{id}"))
        }
        let unreachable = try ChildProcess(
            path: Binary.path, arguments: ["stat", "--redis", "redis://127.0.0.1:\(Binary.freePort())/0"],
            outputPath: Scratch.path("stat-down.log"))
        #expect(await unreachable.wait(timeout: .seconds(20)) == 2)
    }
}
