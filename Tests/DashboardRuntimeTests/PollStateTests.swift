import CacheCore
import CacheProtocol
import Dashboard
import RedisClient
import Testing

@testable import DashboardRuntime

/// The poller's decoding, fed with made-up replies: no redis-server.
@Suite struct PollStateTests {
    func bulk(_ text: String) -> RedisReply { .bulk(Array(text.utf8)) }
    func words(_ command: RedisCommand) -> [String] { command.arguments.map { String(decoding: $0, as: UTF8.self) } }

    /// The first pipeline's replies: INFO with `runID` and keyspace numbers, `events` stream ids,
    /// a SCAN page ending at `cursor`, and server ids.
    func overview(
        runID: String = "r1", hits: Int = 100, misses: Int = 50, routes: [String] = ["/products"],
        events: [String] = [], cursor: String = "0", keys: [String] = [], servers: [String] = []
    ) -> [RedisReply] {
        let info =
            "# Server\r\nredis_version:7.0.15\r\nrun_id:\(runID)\r\n# Stats\r\nkeyspace_hits:\(hits)\r\nkeyspace_misses:\(misses)\r\n"
        let entries = events.map { id in
            RedisReply.array([bulk(id), .array(["event", "hit", "key", "shop:/a:1", "ts_ms", "1"].map(bulk))])
        }
        return [
            bulk(info), .integer(42), .array(routes.map(bulk)), .array(entries),
            .array([bulk(cursor), .array(keys.map(bulk))]), .array(servers.map(bulk)), .integer(events.isEmpty ? 0 : 1),
        ]
    }

    @Test func ownReadsAreSubtractedFromTheKeyspaceNumbersOfTheNextPoll() {
        var state = PollState(schema: KeySchema(), eventsKey: "ev", prefixes: ["shop"])
        let first = state.readOverview(overview(events: ["5-0"]))
        #expect(first.readsBeforeInfo == (0, 0))
        #expect(first.events.map(\.key) == ["shop:/a:1"])
        // SMEMBERS found routes, EXISTS and XREVRANGE found the stream, ZRANGE found no server.
        #expect((state.ownHits, state.ownMisses) == (3, 1))
        let result = state.readDetails(
            [.array(["hits", "7"].map(bulk)), .integer(1200), .integer(300), .array([.integer(4), .null, .null, .null])],
            overview: first, visibleKeys: ["shop:/a:1"], spotChecked: [], address: "redis", nowMs: 9)
        #expect(result.routeTotals["/products"]?.hits == 7)
        #expect(result.keyDetails["shop:/a:1"] == KeyDetail(ttlMs: 1200, sizeBytes: 300, hits: 4, misses: 0, fills: 0))
        #expect((state.ownHits, state.ownMisses) == (6, 1), "HGETALL, PTTL and HMGET found their keys")
        let second = state.readOverview(overview(hits: 120, misses: 60))
        #expect(second.readsBeforeInfo == (6, 1), "what INFO had counted of ours when it answered")
        let next = state.readDetails(
            [.array([])], overview: second, visibleKeys: [], spotChecked: [], address: "redis", nowMs: 10)
        #expect(next.redis.keyspaceHits == 114)
        #expect(next.redis.keyspaceMisses == 59)
    }

    /// The open detail pane's key is read in full with the poll, and those reads are counted too.
    @Test func theInspectedKeyIsReadWithThePollAndItsReadsCounted() {
        var state = PollState(schema: KeySchema(), eventsKey: "ev", prefixes: ["shop"])
        let first = state.readOverview(overview(routes: []))
        let commands = state.detailCommands(first, visibleKeys: [], spotChecked: [], inspected: "shop:/products:e3b0c442")
        #expect(
            commands.map(words).suffix(3) == [
                ["HGETALL", "cachescope:counters:key:shop:/products:e3b0c442"], ["PTTL", "shop:/products:e3b0c442"],
                ["GET", "shop:/products:e3b0c442"],
            ])
        let before = (state.ownHits, state.ownMisses)
        let hash = [
            "request", "/products", "hits", "9", "misses", "3", "misses_cold", "1", "misses_invalidated", "2", "fills", "3",
            "last", "filled", "load_us", "201000", "tags", "t1 t2",
        ]
        let result = state.readDetails(
            [.array(hash.map(bulk)), .integer(90_000), bulk(#"{"count":1,"products":[]}"#)], overview: first,
            visibleKeys: [], spotChecked: [], address: "redis", nowMs: 9, inspected: "shop:/products:e3b0c442")
        #expect((state.ownHits, state.ownMisses) == (before.0 + 3, before.1))
        let inspection = try? #require(result.inspection)
        #expect(inspection?.request == "/products")
        #expect(inspection?.ttlMs == 90_000)
        #expect(inspection?.counts.missesByCause[.invalidated] == 2)
        #expect(inspection?.loadUs == 201_000)
        #expect(inspection?.tags == ["t1", "t2"])
        #expect(inspection?.entityTag == EntityTag(of: Array(#"{"count":1,"products":[]}"#.utf8)).description)
        #expect(inspection?.bodyLines.first == "{")
        #expect(inspection?.bodyLines.contains { $0.contains("\"count\" : 1") } == true, "pretty-printed")
        // A key that is gone: nothing to read, and three misses counted.
        let gone = state.readDetails(
            [.array([]), .integer(-2), .null], overview: first, visibleKeys: [], spotChecked: [], address: "redis", nowMs: 10,
            inspected: "shop:/x:1")
        #expect(gone.inspection?.ttlMs == nil)
        #expect(gone.inspection?.bodyLines.isEmpty == true)
        #expect(state.ownMisses == before.1 + 3)
    }

    @Test func aNewRunIDIsARestartThatStartsTheTallyAfresh() {
        var state = PollState(schema: KeySchema(), eventsKey: "ev", prefixes: ["shop"])
        #expect(!state.readOverview(overview(runID: "r1", cursor: "17")).restarted)
        let restarted = state.readOverview(overview(runID: "r2", cursor: "9"))
        #expect(restarted.restarted)
        #expect(restarted.readsBeforeInfo == (0, 0))
        #expect(!state.readOverview(overview(runID: "r2")).restarted, "reported once")
    }

    @Test func eventsAreReadFromAfterTheNewestSeen() {
        var state = PollState(schema: KeySchema(), eventsKey: "ev", prefixes: ["shop"])
        #expect(words(state.overviewCommands()[3]) == ["XREVRANGE", "ev", "+", "-", "COUNT", "500"])
        _ = state.readOverview(overview(events: ["9-1", "8-0"]))  // newest first
        #expect(words(state.overviewCommands()[3]) == ["XREVRANGE", "ev", "+", "(9-1", "COUNT", "500"])
    }

    @Test func scanWalksEachPrefixInTurn() {
        var state = PollState(schema: KeySchema(), eventsKey: "ev", prefixes: ["shop", "example"])
        #expect(words(state.overviewCommands()[4]) == ["SCAN", "0", "MATCH", "shop:*", "COUNT", "500"])
        _ = state.readOverview(overview(cursor: "33"))
        #expect(words(state.overviewCommands()[4]) == ["SCAN", "33", "MATCH", "shop:*", "COUNT", "500"])
        _ = state.readOverview(overview(cursor: "0"))
        #expect(words(state.overviewCommands()[4]) == ["SCAN", "0", "MATCH", "example:*", "COUNT", "500"])
    }

    @Test func spotChecksRotateOverOffScreenKeys() {
        var state = PollState(schema: KeySchema(), eventsKey: "ev", prefixes: ["shop"])
        let tracked = (0..<150).map { "shop:/k/\(1000 + $0):1" }
        let first = state.nextSpotCheck(tracked, excluding: [tracked[0]])
        #expect(first == Array(tracked[1...100]))
        let second = state.nextSpotCheck(tracked, excluding: [tracked[0]])
        #expect(second == Array(tracked[101...]) + Array(tracked[1...51]), "wraps around, never the visible key")
    }

    @Test func announcementsAreReadForEachListedServer() {
        var state = PollState(schema: KeySchema(), eventsKey: "ev", prefixes: ["shop"])
        let first = state.readOverview(overview(routes: [], servers: ["live", "gone"]))
        let live = Announcements(schema: KeySchema()).announce(
            ServerPresence(id: "live", url: "http://h:1", startedMs: 1), nowMs: 1)[0]
        let fields = Array(words(live).dropFirst(2)).map(bulk)
        let result = state.readDetails(
            [.array(fields), .array([])], overview: first, visibleKeys: [], spotChecked: [],
            address: "redis", nowMs: 1)
        #expect(result.servers.map(\.id) == ["live"], "an expired announcement is no server")
    }
}
