import CacheCore

/// A key as the terminal reports it, already decoded, so the core never sees key codes.
public enum KeyPress: Equatable, Sendable {
    case char(Character), up, down, pageUp, pageDown, home, end, enter, escape, backspace, tab, backTab
    /// A mouse click on a cell, and the wheel.
    case click(x: Int, y: Int), wheelUp, wheelDown
}

/// Everything that can change the dashboard: the shell turns terminal, timer and Redis activity into these.
public enum DashboardInput: Sendable {
    case key(KeyPress)
    /// Every second, wall clock in Unix ms: drives the local TTL countdown.
    case tick(nowMs: Int64)
    case resize(width: Int, height: Int)
    case poll(PollResult)
    /// A poll failed: the last known values stay on screen under a banner.
    case redisDown(reason: String)
    /// Status line text for the last action, e.g. "invalidated 3 keys".
    case actionFinished(String)
    /// The answer to `Effect.countPattern`: nil when Redis could not count.
    case patternCount(pattern: String, count: Int?)
    /// One-line summary of the demo load, nil when it is stopped.
    case loadStatus(String?)
}

/// Server-wide numbers from INFO and DBSIZE.
public struct RedisOverview: Sendable, Equatable, Codable {
    public var address: String
    public var version: String
    public var uptimeSeconds: Int
    public var usedMemoryBytes: Int
    public var connectedClients: Int
    public var opsPerSec: Int
    public var dbSize: Int
    public var keyspaceHits: Int
    public var keyspaceMisses: Int
    /// Reads the dashboard itself made, already subtracted from the keyspace numbers; shown separately.
    public var dashboardReads: Int
    /// Keys Redis evicted under `maxmemory`, and keys that expired, since it started.
    public var evictedKeys: Int
    public var expiredKeys: Int
    /// `maxmemory` (0: none) and its policy.
    public var maxMemoryBytes: Int
    public var maxMemoryPolicy: String

    public init(
        address: String, version: String, uptimeSeconds: Int = 0, usedMemoryBytes: Int = 0, connectedClients: Int = 0,
        opsPerSec: Int = 0, dbSize: Int = 0, keyspaceHits: Int = 0, keyspaceMisses: Int = 0, dashboardReads: Int = 0,
        evictedKeys: Int = 0, expiredKeys: Int = 0, maxMemoryBytes: Int = 0, maxMemoryPolicy: String = "noeviction"
    ) {
        self.evictedKeys = evictedKeys
        self.expiredKeys = expiredKeys
        self.maxMemoryBytes = maxMemoryBytes
        self.maxMemoryPolicy = maxMemoryPolicy
        self.address = address
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.usedMemoryBytes = usedMemoryBytes
        self.connectedClients = connectedClients
        self.opsPerSec = opsPerSec
        self.dbSize = dbSize
        self.keyspaceHits = keyspaceHits
        self.keyspaceMisses = keyspaceMisses
        self.dashboardReads = dashboardReads
    }

    /// Redis refuses writes: full under `noeviction`, so fills store nothing and invalidations wait.
    public var refusesWrites: Bool {
        maxMemoryBytes > 0 && usedMemoryBytes >= maxMemoryBytes && maxMemoryPolicy == "noeviction"
    }
}

/// What Redis says about one on-screen key.
public struct KeyDetail: Sendable, Equatable, Codable {
    /// Remaining TTL; nil when the key is gone, negative when it has no expiry.
    public var ttlMs: Int?
    public var sizeBytes: Int?
    public var hits: Int
    public var misses: Int
    public var fills: Int

    public init(ttlMs: Int?, sizeBytes: Int? = nil, hits: Int = 0, misses: Int = 0, fills: Int = 0) {
        self.ttlMs = ttlMs
        self.sizeBytes = sizeBytes
        self.hits = hits
        self.misses = misses
        self.fills = fills
    }
}

/// One refresh worth of data read from Redis.
public struct PollResult: Sendable, Codable {
    public var nowMs: Int64
    public var redis: RedisOverview
    /// Cumulative counters per route, summed over all servers.
    public var routeTotals: [String: RouteCounts]
    /// New stream entries since the last poll, oldest first.
    public var events: [CacheEvent]
    /// Keys found by this poll's incremental SCAN step (may repeat known ones).
    public var discoveredKeys: [String]
    /// Answers for the keys that were in `DashboardState.visibleKeys`.
    public var keyDetails: [String: KeyDetail]
    /// The servers announcing themselves now, by id.
    public var servers: [ServerPresence]
    /// Redis restarted since the last poll: what the dashboard knew of its keys and counters is void.
    public var redisRestarted: Bool
    /// Remaining TTLs of a few off-screen keys (nil: gone; negative: no expiry), so keys that
    /// never scroll into view still expire from the table and sort by their real TTL.
    public var spotCheckedTTLs: [String: Int?]
    /// The key of the open detail pane, read afresh each poll.
    public var inspection: KeyInspection?
    /// The origin loads the servers have in flight now.
    public var loads: [InFlightLoad]

    public init(
        nowMs: Int64, redis: RedisOverview, routeTotals: [String: RouteCounts] = [:], events: [CacheEvent] = [],
        discoveredKeys: [String] = [], keyDetails: [String: KeyDetail] = [:], servers: [ServerPresence] = [],
        redisRestarted: Bool = false, spotCheckedTTLs: [String: Int?] = [:], inspection: KeyInspection? = nil,
        loads: [InFlightLoad] = []
    ) {
        self.inspection = inspection
        self.loads = loads
        self.nowMs = nowMs
        self.redis = redis
        self.routeTotals = routeTotals
        self.events = events
        self.discoveredKeys = discoveredKeys
        self.keyDetails = keyDetails
        self.servers = servers
        self.redisRestarted = redisRestarted
        self.spotCheckedTTLs = spotCheckedTTLs
    }
}

/// Work the shell performs on the dashboard's behalf; results come back as inputs.
public enum Effect: Equatable, Sendable {
    case invalidate(key: String)
    /// Count the keys matching a glob before asking to delete them.
    case countPattern(String)
    case invalidatePattern(String)
    case warm(key: String)
    case warmAll
    case toggleLoad
    /// Make every server's store reads fail, or stop failing (`POST /debug/origin`): stale-if-error, live.
    case failOrigin(Bool)
    case setRefreshInterval(ms: Int)
    case quit
}

public struct DashboardConfig: Sendable {
    /// "embedded" or "attached".
    public var mode: String
    /// Key prefixes watched, e.g. ["shop"].
    public var prefixes: [String]
    public var refreshMs: Int
    /// Where Redis is expected, shown before the first poll answers.
    public var redisAddress: String
    /// `--readonly`: the keys that would change the cache or the servers only say so.
    public var readOnly: Bool

    public init(mode: String, prefixes: [String], refreshMs: Int, redisAddress: String = "", readOnly: Bool = false) {
        self.readOnly = readOnly
        self.redisAddress = redisAddress
        self.mode = mode
        self.prefixes = prefixes
        self.refreshMs = refreshMs
    }
}

/// What Redis holds about one key, for the Keys view's detail pane (`Enter`).
public struct KeyInspection: Sendable, Equatable, Codable {
    public var key: String
    /// The canonical request that fills it, as the last fill recorded it.
    public var request: String?
    /// Remaining TTL; nil when the key is gone.
    public var ttlMs: Int?
    public var sizeBytes: Int?
    /// `"` + 16 hex digits + `"`, the tag a 200 is answered with; nil for a cached 404 or no body.
    public var entityTag: String?
    public var counts: RouteCounts
    /// The history: what happened last (`filled`, `invalidated`, `refused`, `uncacheable`), the
    /// invalidation's reason, the last stored load's time, and its tags.
    public var lastEvent: String?
    public var reason: String?
    public var loadUs: Int?
    public var tags: [String]
    /// The body's first lines, pretty-printed when it is JSON.
    public var bodyLines: [String]

    public init(
        key: String, request: String? = nil, ttlMs: Int? = nil, sizeBytes: Int? = nil, entityTag: String? = nil,
        counts: RouteCounts = RouteCounts(), lastEvent: String? = nil, reason: String? = nil, loadUs: Int? = nil,
        tags: [String] = [], bodyLines: [String] = []
    ) {
        self.key = key
        self.request = request
        self.ttlMs = ttlMs
        self.sizeBytes = sizeBytes
        self.entityTag = entityTag
        self.counts = counts
        self.lastEvent = lastEvent
        self.reason = reason
        self.loadUs = loadUs
        self.tags = tags
        self.bodyLines = bodyLines
    }
}
