import CacheCore
import CacheProtocol
import Dashboard
import Foundation
import RedisClient

/// Reads one refresh worth of data from Redis in two pipelines. Its cost is bounded by the
/// screen, not by DBSIZE: one SCAN page, the newest stream entries, the route counters, and
/// PTTL/size/counters only for the keys on screen.
///
/// Redis counts a keyspace hit or miss for every key a read command looks up, so the
/// dashboard's own reads would inflate the Redis-wide hit rate it shows. Each of those reads
/// is counted here (hit if the key existed) and subtracted from INFO's numbers.
public final class RedisPoller: @unchecked Sendable {
    private let redis: RedisPipeline
    private let schema: KeySchema
    private let eventsKey: String
    private let patterns: [String]
    // Touched only by the one poll in flight at a time.
    private var scanCursor = "0"
    private var scanPattern = 0
    private var lastEventID: String?
    private var ownHits = 0
    private var ownMisses = 0
    /// Which Redis process answered last: a new one (a restart) starts every count afresh.
    private var runID: String?
    /// The last off-screen key spot-checked; the next poll goes on after it.
    private var spotCheckCursor = ""
    static let spotCheckPage = 100
    /// Events read per poll at most: the newest ones, so the log stays current under any load.
    static let eventPage = 500
    static let scanPage = 500

    public init(redis: RedisPipeline, schema: KeySchema = KeySchema(), eventsKey: String, prefixes: [String]) {
        self.redis = redis
        self.schema = schema
        self.eventsKey = eventsKey
        self.patterns = prefixes.map { Glob.escape($0) + ":*" }
    }

    /// Reads made so far that Redis counted as keyspace hits and misses.
    public var ownReads: (hits: Int, misses: Int) { (ownHits, ownMisses) }

    /// `trackedKeys` (sorted) are all the keys the table knows: a page of those off screen gets a `PTTL`.
    public func poll(visibleKeys: [String], trackedKeys: [String] = [], nowMs: Int64) async throws -> PollResult {
        let earlierReads = ownReads
        let eventsRange = lastEventID.map { "(" + $0 } ?? "-"
        let first = try await redis.send([
            RedisCommand("INFO", "server", "clients", "memory", "stats"),
            RedisCommand("DBSIZE"),
            RedisCommand("SMEMBERS", schema.routes),
            RedisCommand("XREVRANGE", eventsKey, "+", eventsRange, "COUNT", String(Self.eventPage)),
            RedisCommand("SCAN", scanCursor, "MATCH", patterns[scanPattern], "COUNT", String(Self.scanPage)),
            RedisCommand("ZRANGE", schema.servers, "0", "-1"),
            // An empty XREVRANGE page does not say whether the stream exists (a hit or a miss to Redis).
            RedisCommand("EXISTS", eventsKey),
        ])
        let info = RedisInfo(first[0].string ?? "")
        let currentRunID = info["run_id"]
        let restarted = runID != nil && currentRunID != nil && currentRunID != runID
        runID = currentRunID ?? runID
        if restarted {
            // Its keyspace numbers began again at zero (and its keys may be gone). The event cursor
            // stays: stream ids follow the clock, so a kept stream is not read twice.
            (ownHits, ownMisses, scanCursor) = (0, 0, "0")
        }
        // INFO is the first command: of this dashboard's reads it counted those of earlier polls
        // (none, if this Redis is new), not the ones this poll makes after it.
        let readsBeforeInfo = restarted ? (hits: 0, misses: 0) : earlierReads
        countRead(exists: !first[2].elements.isEmpty)
        let streamExists = first[6].int == 1
        countRead(exists: streamExists)  // EXISTS
        countRead(exists: streamExists)  // XREVRANGE
        let routes = first[2].elements.compactMap(\.string).sorted()
        let entries = first[3].elements
        if let newest = entries.first?.elements.first?.string { lastEventID = newest }
        let events = entries.reversed().compactMap(EventStream.event(inEntry:))
        let scan = first[4].elements
        let discovered = scan.count == 2 ? scan[1].elements.compactMap(\.string) : []
        advanceScan(to: scan.first?.string ?? "0")
        let serverIDs = first[5].elements.compactMap(\.string)
        countRead(exists: !serverIDs.isEmpty)

        var second: [RedisCommand] = routes.map { RedisCommand("HGETALL", schema.route($0)) }
        for key in visibleKeys {
            second.append(RedisCommand("PTTL", key))
            second.append(RedisCommand("MEMORY", "USAGE", key))
            second.append(RedisCommand("HMGET", schema.key(key), "hits", "misses", "fills", "request"))
        }
        second += serverIDs.map { RedisCommand("HGETALL", schema.server($0)) }
        let spotChecked = nextSpotCheckPage(trackedKeys, excluding: Set(visibleKeys))
        second += spotChecked.map { RedisCommand("PTTL", $0) }
        let replies = try await redis.send(second)
        var totals: [String: RouteCounts] = [:]
        for (index, route) in routes.enumerated() {
            countRead(exists: !replies[index].elements.isEmpty)
            totals[route] = CounterUpdates.counts(from: replies[index])
        }
        var details: [String: KeyDetail] = [:]
        for (index, key) in visibleKeys.enumerated() {
            let base = routes.count + index * 3
            let ttl = replies[base].int ?? -2
            countRead(exists: ttl != -2)
            let counters = replies[base + 2].elements
            countRead(exists: counters.contains { $0 != .null })
            details[key] = KeyDetail(ttlMs: ttl == -2 ? nil : ttl, sizeBytes: replies[base + 1].int,
                                     hits: counters.first?.int ?? 0, misses: counters.dropFirst().first?.int ?? 0,
                                     fills: counters.dropFirst(2).first?.int ?? 0)
        }
        let servers = serverIDs.enumerated().compactMap { index, id -> ServerPresence? in
            let reply = replies[routes.count + visibleKeys.count * 3 + index]
            countRead(exists: !reply.elements.isEmpty)
            return Announcements.presence(id: id, from: reply)
        }
        let spotBase = routes.count + visibleKeys.count * 3 + serverIDs.count
        var spotCheckedTTLs: [String: Int?] = [:]
        for (index, key) in spotChecked.enumerated() {
            let ttl = replies[spotBase + index].int ?? -2
            countRead(exists: ttl != -2)
            spotCheckedTTLs[key] = ttl == -2 ? nil : ttl
        }
        let overview = RedisOverview(
            address: "\(redis.endpoint)", version: info["redis_version"] ?? "?",
            uptimeSeconds: info.int("uptime_in_seconds") ?? 0, usedMemoryBytes: info.int("used_memory") ?? 0,
            connectedClients: info.int("connected_clients") ?? 0, opsPerSec: info.int("instantaneous_ops_per_sec") ?? 0,
            dbSize: first[1].int ?? 0,
            keyspaceHits: max(0, (info.int("keyspace_hits") ?? 0) - readsBeforeInfo.hits),
            keyspaceMisses: max(0, (info.int("keyspace_misses") ?? 0) - readsBeforeInfo.misses),
            dashboardReads: readsBeforeInfo.hits + readsBeforeInfo.misses)
        return PollResult(nowMs: nowMs, redis: overview, routeTotals: totals, events: events,
                          discoveredKeys: discovered, keyDetails: details, servers: servers, redisRestarted: restarted,
                          spotCheckedTTLs: spotCheckedTTLs)
    }

    /// The next few tracked keys after the last one checked, wrapping around; none on screen.
    private func nextSpotCheckPage(_ tracked: [String], excluding visible: Set<String>) -> [String] {
        let start = tracked.firstIndex { $0 > spotCheckCursor } ?? 0
        let page = (tracked[start...] + tracked[..<start]).lazy.filter { !visible.contains($0) }.prefix(Self.spotCheckPage)
        spotCheckCursor = page.last ?? ""
        return Array(page)
    }

    private func countRead(exists: Bool) {
        if exists { ownHits += 1 } else { ownMisses += 1 }
    }

    /// Moves to the next SCAN page, and to the next prefix after a full pass.
    private func advanceScan(to cursor: String) {
        scanCursor = cursor
        if cursor == "0" { scanPattern = (scanPattern + 1) % patterns.count }
    }
}
