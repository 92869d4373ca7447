import CacheCore

/// One cache key the dashboard knows about.
struct TrackedKey: Equatable {
    let name: String
    var route: String
    var hits = 0
    var misses = 0
    var sizeBytes: Int?
    /// When Redis drops it (Unix ms); nil while unknown or when it has no expiry.
    var expiresAtMs: Int64?
    /// The TTL of its last fill or warm: the best total for its TTL bar.
    var storedTTLms: Int?

    func remainingMs(at nowMs: Int64) -> Int? { expiresAtMs.map { Int(max(0, $0 - nowMs)) } }

    var hitPercent: Double? { hits + misses == 0 ? nil : Double(hits) / Double(hits + misses) * 100 }
}

/// The keys under the watched prefixes, fed by events, SCAN steps and per-key details, and
/// counted down locally so TTLs move between polls.
struct KeyStore {
    let prefixes: [String]
    /// The announced routes, which name the route of a key no event labelled.
    private(set) var routes: [(prefix: String, pattern: RoutePattern)]
    private(set) var keys: [String: TrackedKey] = [:]
    /// The largest TTL seen in any fill or warm: the last-resort total for a TTL bar.
    private(set) var largestTTLms: Int?
    /// Keys removed lately: when, so a SCAN step or event older than the delete cannot bring them
    /// back, and their counts, which a refill continues (Redis keeps a key's counters across deletes),
    /// and their size, the best guess for a refill until Redis is asked (a key invalidated often is
    /// seldom there when the dashboard asks).
    private var removed: [String: Removal] = [:]
    private struct Removal {
        let atMs: Int64
        let hits: Int
        let misses: Int
        let sizeBytes: Int?
    }
    static let rememberRemovalMs: Int64 = 10_000

    init(prefixes: [String], routes: [(prefix: String, pattern: RoutePattern)] = []) {
        self.prefixes = prefixes
        self.routes = routes
    }

    /// New announced routes: keys labelled by their path alone get their route's name.
    mutating func learn(routes: [(prefix: String, pattern: RoutePattern)]) {
        self.routes = routes
        for (name, key) in keys where key.route == Self.path(ofKey: name) {
            let route = route(ofKey: name)
            keys[name]?.route = route
        }
    }

    func isWatched(_ name: String) -> Bool { prefixes.contains { name.hasPrefix($0 + ":") } }

    mutating func apply(_ event: CacheEvent) {
        switch event.outcome {
        case .invalidate:
            remove(matching: event.key, atMs: event.timestampMs)
        case .bypass, .refused:
            return
        case .hit, .stale, .miss, .coalesced, .fill, .warm, .refresh:
            guard isWatched(event.key), removed[event.key].map({ $0.atMs < event.timestampMs }) ?? true else { return }
            var key =
                keys[event.key]
                ?? TrackedKey(
                    name: event.key, route: route(ofKey: event.key),
                    hits: removed[event.key]?.hits ?? 0, misses: removed[event.key]?.misses ?? 0,
                    sizeBytes: removed[event.key]?.sizeBytes)
            if !event.route.isEmpty { key.route = event.route }
            switch event.outcome {
            case .hit, .stale: key.hits += 1
            case .miss, .coalesced: key.misses += 1
            default:
                if let ttl = event.ttlMs {
                    key.expiresAtMs = event.timestampMs + Int64(ttl)
                    key.storedTTLms = ttl
                    largestTTLms = max(largestTTLms ?? 0, ttl)
                }
            }
            keys[event.key] = key
            removed[event.key] = nil
        }
    }

    mutating func discover(_ names: [String]) {
        for name in names where keys[name] == nil && removed[name] == nil && isWatched(name) {
            keys[name] = TrackedKey(name: name, route: route(ofKey: name))
        }
    }

    /// Redis's answers for on-screen keys overrule the local countdown and counts.
    mutating func apply(details: [String: KeyDetail], nowMs: Int64) {
        for (name, detail) in details where keys[name] != nil {
            guard setTTL(detail.ttlMs, of: name, nowMs: nowMs) else { continue }
            keys[name]?.sizeBytes = detail.sizeBytes
            keys[name]?.hits = detail.hits
            keys[name]?.misses = detail.misses
        }
    }

    /// TTLs read for keys off screen: a key gone from Redis leaves, the others count down from here.
    mutating func apply(ttls: [String: Int?], nowMs: Int64) {
        for (name, ttl) in ttls where keys[name] != nil { setTTL(ttl, of: name, nowMs: nowMs) }
    }

    /// A remaining TTL from Redis (nil: the key is gone, then it is forgotten; negative: no expiry).
    /// Returns whether the key is still there.
    @discardableResult
    private mutating func setTTL(_ ttl: Int?, of name: String, nowMs: Int64) -> Bool {
        guard let ttl else {
            forget(name, atMs: nowMs)
            return false
        }
        keys[name]?.expiresAtMs = ttl >= 0 ? nowMs + Int64(ttl) : nil
        return true
    }

    /// Drops the keys a pattern (or exact key) names.
    mutating func remove(matching pattern: String, atMs: Int64) {
        for name in keys.keys where name == pattern || Glob.matches(pattern, name) { forget(name, atMs: atMs) }
    }

    private mutating func forget(_ name: String, atMs: Int64) {
        let earlier = removed[name]
        removed[name] = Removal(
            atMs: max(earlier?.atMs ?? atMs, atMs), hits: keys[name]?.hits ?? earlier?.hits ?? 0,
            misses: keys[name]?.misses ?? earlier?.misses ?? 0,
            sizeBytes: keys[name]?.sizeBytes ?? earlier?.sizeBytes)
        keys[name] = nil
    }

    /// Drops keys whose TTL ran out and forgets old removals.
    mutating func expire(nowMs: Int64) {
        for (name, key) in keys where (key.expiresAtMs ?? .max) <= nowMs { forget(name, atMs: key.expiresAtMs ?? nowMs) }
        removed = removed.filter { $0.value.atMs > nowMs - Self.rememberRemovalMs }
    }

    /// The total a key's TTL bar is drawn against.
    func ttlTotalMs(of key: TrackedKey, routeTTLms: [String: Int]) -> Int? {
        key.storedTTLms ?? routeTTLms[key.route] ?? largestTTLms
    }

    /// `shop:/products/42:e3b0c442` → `/products/{id}`: the announced route whose pattern matches,
    /// else the key's path.
    func route(ofKey name: String) -> String {
        RoutePattern.route(ofKey: name, in: routes)?.description ?? Self.path(ofKey: name)
    }

    /// `shop:/products/42:e3b0c442` → `/products/42`.
    static func path(ofKey name: String) -> String {
        let group = CacheKey.group(ofKey: name) ?? name
        guard let slash = group.firstIndex(of: "/") else { return group }
        return String(group[slash...])
    }
}
