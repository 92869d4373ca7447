import CacheCore
import CacheProtocol
import Dashboard
import RedisClient

/// What one dashboard refresh asks Redis, and how it reads the answers, as a value: the SCAN and
/// stream cursors, the spot-check rotation, the restart detection and the tally of the
/// dashboard's own reads live here, so all of it is tested with made-up replies.
///
/// A refresh is two pipelines. The first (`overviewCommands`) reads INFO, sizes, route names, new
/// events, a SCAN page and the server ids; the second (`detailCommands`) reads what the first
/// named: route counters, the on-screen keys, the announcements and a page of off-screen TTLs.
///
/// Redis counts a keyspace hit or miss for every key a read command looks up, so the dashboard's
/// own reads would inflate the Redis-wide hit rate it shows. Each of those reads is counted here
/// (hit if the key existed) and subtracted from INFO's numbers.
struct PollState {
    static let spotCheckPage = 100
    /// Events read per poll at most: the newest ones, so the log stays current under any load.
    static let eventPage = 500
    static let scanPage = 500

    let schema: KeySchema
    let eventsKey: String
    let patterns: [String]
    private var scanCursor = "0"
    private var scanPattern = 0
    private var lastEventID: String?
    private(set) var ownHits = 0
    private(set) var ownMisses = 0
    /// Which Redis process answered last: a new one (a restart) starts every count afresh.
    private var runID: String?
    /// The last off-screen key spot-checked; the next poll goes on after it.
    private var spotCheckCursor = ""

    /// What the first pipeline found, which the second one reads about.
    struct Overview {
        let info: RedisInfo
        let dbSize: Int
        let routes: [String]
        let events: [CacheEvent]
        let discoveredKeys: [String]
        let serverIDs: [String]
        let restarted: Bool
        /// The dashboard's reads that INFO had counted when it answered.
        let readsBeforeInfo: (hits: Int, misses: Int)
    }

    init(schema: KeySchema, eventsKey: String, prefixes: [String]) {
        self.schema = schema
        self.eventsKey = eventsKey
        self.patterns = prefixes.map { Glob.escape($0) + ":*" }
    }

    func overviewCommands() -> [RedisCommand] {
        [
            RedisCommand("INFO", "server", "clients", "memory", "stats"),
            RedisCommand("DBSIZE"),
            RedisCommand("SMEMBERS", schema.routes),
            RedisCommand("XREVRANGE", eventsKey, "+", lastEventID.map { "(" + $0 } ?? "-", "COUNT", String(Self.eventPage)),
            RedisCommand("SCAN", scanCursor, "MATCH", patterns[scanPattern], "COUNT", String(Self.scanPage)),
            RedisCommand("ZRANGE", schema.servers, "0", "-1"),
            // An empty XREVRANGE page does not say whether the stream exists (a hit or a miss to Redis).
            RedisCommand("EXISTS", eventsKey),
        ]
    }

    mutating func readOverview(_ replies: [RedisReply]) -> Overview {
        let earlierReads = (hits: ownHits, misses: ownMisses)
        let info = RedisInfo(replies[0].string ?? "")
        let currentRunID = info["run_id"]
        let restarted = runID != nil && currentRunID != nil && currentRunID != runID
        runID = currentRunID ?? runID
        if restarted {
            // Its keyspace numbers began again at zero (and its keys may be gone). The event cursor
            // stays: stream ids follow the clock, so a kept stream is not read twice.
            (ownHits, ownMisses, scanCursor) = (0, 0, "0")
        }
        let routes = replies[2].elements.compactMap(\.string).sorted()
        countRead(exists: !routes.isEmpty)  // SMEMBERS
        let streamExists = replies[6].int == 1
        countRead(exists: streamExists)  // EXISTS
        countRead(exists: streamExists)  // XREVRANGE
        let entries = replies[3].elements
        if let newest = entries.first?.elements.first?.string { lastEventID = newest }
        let scan = replies[4].elements
        advanceScan(to: scan.first?.string ?? "0")
        let serverIDs = replies[5].elements.compactMap(\.string)
        countRead(exists: !serverIDs.isEmpty)  // ZRANGE
        return Overview(
            info: info, dbSize: replies[1].int ?? 0, routes: routes,
            events: entries.reversed().compactMap(EventStream.event(inEntry:)),
            discoveredKeys: scan.count == 2 ? scan[1].elements.compactMap(\.string) : [], serverIDs: serverIDs,
            restarted: restarted,
            // INFO is the first command: of this dashboard's reads it counted those of earlier polls
            // (none, if this Redis is new), not the ones this poll makes after it.
            readsBeforeInfo: restarted ? (0, 0) : earlierReads)
    }

    /// The next few tracked keys after the last one checked, wrapping around; none on screen.
    mutating func nextSpotCheck(_ tracked: [String], excluding visible: Set<String>) -> [String] {
        let start = tracked.firstIndex { $0 > spotCheckCursor } ?? 0
        let page = (tracked[start...] + tracked[..<start]).lazy.filter { !visible.contains($0) }.prefix(Self.spotCheckPage)
        spotCheckCursor = page.last ?? ""
        return Array(page)
    }

    /// `inspected`: the key of the open detail pane, read in full (`KeyInspector`).
    func detailCommands(
        _ overview: Overview, visibleKeys: [String], spotChecked: [String], inspected: String? = nil
    ) -> [RedisCommand] {
        var commands = overview.routes.map { RedisCommand("HGETALL", schema.route($0)) }
        for key in visibleKeys {
            commands.append(RedisCommand("PTTL", key))
            commands.append(RedisCommand("MEMORY", "USAGE", key))
            commands.append(RedisCommand("HMGET", schema.key(key), "hits", "misses", "fills", "request"))
        }
        commands += overview.serverIDs.map { RedisCommand("HGETALL", schema.server($0)) }
        commands += overview.serverIDs.map { RedisCommand("HGETALL", schema.loads($0)) }
        commands += spotChecked.map { RedisCommand("PTTL", $0) }
        return commands + (inspected.map { KeyInspector(schema: schema).commands(for: $0) } ?? [])
    }

    mutating func readDetails(
        _ replies: [RedisReply], overview: Overview, visibleKeys: [String], spotChecked: [String], address: String,
        nowMs: Int64, inspected: String? = nil
    ) -> PollResult {
        var next = replies.makeIterator()
        var totals: [String: RouteCounts] = [:]
        for route in overview.routes {
            let reply = next.next() ?? .null
            countRead(exists: !reply.elements.isEmpty)
            totals[route] = CounterUpdates.counts(from: reply)
        }
        var details: [String: KeyDetail] = [:]
        for key in visibleKeys {
            let ttl = next.next()?.int ?? -2
            countRead(exists: ttl != -2)
            let size = next.next()?.int
            let counters = next.next()?.elements ?? []
            countRead(exists: counters.contains { $0 != .null })
            details[key] = KeyDetail(
                ttlMs: ttl == -2 ? nil : ttl, sizeBytes: size, hits: counters.first?.int ?? 0,
                misses: counters.dropFirst().first?.int ?? 0, fills: counters.dropFirst(2).first?.int ?? 0)
        }
        let servers = overview.serverIDs.compactMap { id -> ServerPresence? in
            let reply = next.next() ?? .null
            countRead(exists: !reply.elements.isEmpty)
            return Announcements.presence(id: id, from: reply)
        }
        var loads: [InFlightLoad] = []
        for id in overview.serverIDs {
            let reply = next.next() ?? .null
            countRead(exists: !reply.elements.isEmpty)
            loads += InFlightLoads.loads(from: reply, server: id)
        }
        var spotCheckedTTLs: [String: Int?] = [:]
        for key in spotChecked {
            let ttl = next.next()?.int ?? -2
            countRead(exists: ttl != -2)
            spotCheckedTTLs[key] = ttl == -2 ? nil : ttl
        }
        var inspection: KeyInspection?
        if let inspected {
            let answers = [next.next() ?? .null, next.next() ?? .null, next.next() ?? .null]
            countRead(exists: !answers[0].elements.isEmpty)  // HGETALL
            countRead(exists: answers[1].int.map { $0 != -2 } ?? false)  // PTTL
            countRead(exists: answers[2] != .null)  // GET
            inspection = KeyInspector(schema: schema).inspection(of: inspected, from: answers)
        }
        let info = overview.info, before = overview.readsBeforeInfo
        let redis = RedisOverview(
            address: address, version: info["redis_version"] ?? "?",
            uptimeSeconds: info.int("uptime_in_seconds") ?? 0, usedMemoryBytes: info.int("used_memory") ?? 0,
            connectedClients: info.int("connected_clients") ?? 0, opsPerSec: info.int("instantaneous_ops_per_sec") ?? 0,
            dbSize: overview.dbSize,
            keyspaceHits: max(0, (info.int("keyspace_hits") ?? 0) - before.hits),
            keyspaceMisses: max(0, (info.int("keyspace_misses") ?? 0) - before.misses),
            dashboardReads: before.hits + before.misses, evictedKeys: info.int("evicted_keys") ?? 0,
            expiredKeys: info.int("expired_keys") ?? 0, maxMemoryBytes: info.int("maxmemory") ?? 0,
            maxMemoryPolicy: info["maxmemory_policy"] ?? "noeviction")
        return PollResult(
            nowMs: nowMs, redis: redis, routeTotals: totals, events: overview.events,
            discoveredKeys: overview.discoveredKeys, keyDetails: details, servers: servers,
            redisRestarted: overview.restarted, spotCheckedTTLs: spotCheckedTTLs, inspection: inspection,
            loads: loads)
    }

    private mutating func countRead(exists: Bool) {
        if exists { ownHits += 1 } else { ownMisses += 1 }
    }

    /// Moves to the next SCAN page, and to the next prefix after a full pass.
    private mutating func advanceScan(to cursor: String) {
        scanCursor = cursor
        if cursor == "0" { scanPattern = (scanPattern + 1) % patterns.count }
    }
}
