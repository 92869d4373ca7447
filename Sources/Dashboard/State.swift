import CacheCore

/// A question at the bottom of the screen; while one is open, keys go to it.
enum Prompt: Equatable {
    case filter(String)
    case pattern(String)
    /// Waiting for the shell to count the keys a pattern matches.
    case counting(String)
    case confirm(pattern: String, count: Int)
    /// An event query being typed; `error` is why the last Enter was refused.
    case query(String, error: EventQuery.SyntaxError?)
}

/// Everything the dashboard shows, changed only by `update`.
public struct DashboardState: Sendable {
    public let config: DashboardConfig
    public internal(set) var width: Int
    public internal(set) var height: Int
    /// The clock the TTL countdown uses; frozen while paused.
    public internal(set) var nowMs: Int64
    public internal(set) var refreshMs: Int
    public internal(set) var isPaused = false
    /// The last action's result, shown on the status line.
    public internal(set) var status = ""

    var redis: RedisOverview?
    var redisDownReason: String?
    var history = RateHistory()
    /// The same per route, for the Routes view.
    var routeHistory: [String: RateHistory] = [:]
    var redisRates = RedisRates()
    var top = TopList()
    /// The loads in flight at the last poll, and the recent refused fills.
    var loads: [InFlightLoad] = []
    var refusals = RecentRefusals()
    var topKind = TopKind.miss
    var recentLatencies = RecentLatencies()
    /// The route the Latency view shows; nil: all.
    var latencyRoute: String?
    var latencies = LatencyStats()
    var keys: KeyStore
    var log = EventLog()
    var servers: [ServerPresence] = []
    /// The cacheable routes the servers announce (the last known, while none is announced).
    var routes: [RouteAnnouncement] = []
    /// Each route's TTL, for a TTL bar when no fill of the key was seen (kept with `routes`, not
    /// rebuilt for every row drawn).
    var routeTTLms: [String: Int] = [:]
    /// The screen shown below the panel.
    public internal(set) var view = DashboardView.keys
    var sort = KeySort.ttl
    var filter = ""
    /// The active event query (`:`) and its text: the log, Top and Latency show only what matches.
    var query: EventQuery?
    var queryText = ""
    var prompt: Prompt?
    var showsHelp = false
    /// The key whose detail pane is open (`Enter`): the shell reads it with every poll.
    public internal(set) var inspected: String?
    /// What the last poll read of it.
    var inspection: KeyInspection?
    var loadStatus: String?
    /// Whether the user last asked the servers' store reads to fail (`O`).
    var failsOrigin = false
    /// The selection follows its key as rows move; the index is where it was, for when the key goes.
    var selectedKey: String?
    var selectedIndex = 0
    var scrollTop = 0

    public init(config: DashboardConfig, width: Int, height: Int, nowMs: Int64) {
        self.config = config
        self.width = width
        self.height = height
        self.nowMs = nowMs
        refreshMs = config.refreshMs
        keys = KeyStore(prefixes: config.prefixes)
    }

    var layout: Layout? { Layout(width: width, height: height) }

    /// The filtered, sorted table rows (all of them, not only those on screen).
    var rows: [TrackedKey] { tableRows(keys, sort: sort, filter: filter, nowMs: nowMs) }

    /// Every key the table knows, by name: the shell spot-checks a rotating few of them each poll.
    public var trackedKeys: [String] { keys.keys.keys.sorted() }

    /// Keys in the table rows now on screen: the shell asks Redis about exactly these, so the
    /// cost of a refresh is bounded by the screen, not by the number of keys.
    public var visibleKeys: [String] {
        guard let layout else { return [] }
        return rows.dropFirst(scrollTop).prefix(layout.tableRows).map(\.name)
    }

    mutating func ingest(_ poll: PollResult) {
        if poll.redisRestarted {
            keys = KeyStore(prefixes: config.prefixes, routes: keys.routes)
            history = RateHistory()
            routeHistory = [:]
        }
        nowMs = poll.nowMs
        redis = poll.redis
        history.record(timeMs: poll.nowMs, totals: poll.routeTotals.values.reduce(RouteCounts(), +))
        for (route, totals) in poll.routeTotals {
            routeHistory[route, default: RateHistory()].record(timeMs: poll.nowMs, totals: totals)
        }
        redisRates.record(timeMs: poll.nowMs, poll.redis)
        latencies.record(poll.events)
        let matching = query.map { query in poll.events.filter(query.matches) } ?? poll.events
        recentLatencies.record(matching)
        top.record(matching, atMs: poll.nowMs)
        log.record(matching)
        servers = poll.servers
        loads = poll.loads
        refusals.record(poll.events)
        learnRoutes(from: poll.servers)
        for event in poll.events { keys.apply(event) }
        keys.discover(poll.discoveredKeys)
        keys.apply(details: poll.keyDetails, nowMs: poll.nowMs)
        keys.apply(ttls: poll.spotCheckedTTLs, nowMs: poll.nowMs)
        keys.expire(nowMs: poll.nowMs)
        if let inspection = poll.inspection, inspection.key == inspected { self.inspection = inspection }
    }

    mutating func learnRoutes(from servers: [ServerPresence]) {
        var announced: [RouteAnnouncement] = []
        for route in servers.flatMap(\.routes)
        where !announced.contains(where: { $0.prefix == route.prefix && $0.pattern == route.pattern }) {
            announced.append(route)
        }
        guard !announced.isEmpty, announced != routes else { return }
        routes = announced
        routeTTLms = Dictionary(announced.map { ($0.pattern, $0.ttlMs) }) { first, _ in first }
        keys.learn(routes: announced.map { ($0.prefix, RoutePattern($0.pattern)) })
    }

    mutating func select(index: Int) {
        let rows = rows
        selectedIndex = index
        selectedKey = rows.indices.contains(index) ? rows[index].name : nil
        reconcileSelection(rows)
    }

    /// Keeps the selection on its key (or in place when the key left) and on screen.
    mutating func reconcileSelection(_ rows: [TrackedKey]) {
        if let key = selectedKey, let index = rows.firstIndex(where: { $0.name == key }) { selectedIndex = index }
        selectedIndex = min(max(selectedIndex, 0), max(rows.count - 1, 0))
        selectedKey = rows.isEmpty ? nil : rows[selectedIndex].name
        let pageRows = max(layout?.tableRows ?? 1, 1)
        if selectedIndex < scrollTop { scrollTop = selectedIndex }
        if selectedIndex >= scrollTop + pageRows { scrollTop = selectedIndex - pageRows + 1 }
        scrollTop = max(0, min(scrollTop, rows.count - pageRows))
    }
}
