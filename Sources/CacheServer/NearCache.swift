import Synchronization

/// Bodies this server recently read from Redis, kept in memory so a repeated hit costs no
/// Redis round trip (`--near-cache`). Redis keeps it honest: with server-assisted client-side
/// caching (`CLIENT TRACKING ... BCAST`), every write, delete or expiry of a cached key by any
/// client sends an invalidation that drops the entry here (see `NearCacheTracker`).
///
/// It is only enabled while that invalidation channel is confirmed open; whenever the channel
/// drops, everything is forgotten. A read stores its body only if no invalidation arrived while
/// it was in flight (the `generation` it started with is unchanged), so a reply that raced a
/// change is never kept. `maxAge` bounds any entry's life whatever happens.
public final class NearCache: Sendable {
    private struct Entry {
        let body: [UInt8]
        let storedAt: ContinuousClock.Instant
    }

    private struct State {
        var enabled = false
        var generation: UInt64 = 0
        var entries: [String: Entry] = [:]
    }

    public let maxAge: Duration
    public let capacity: Int
    private let state = Mutex(State())

    public init(maxAge: Duration, capacity: Int = 10_000) {
        self.maxAge = maxAge
        self.capacity = capacity
    }

    public var isEnabled: Bool { state.withLock { $0.enabled } }
    public var count: Int { state.withLock { $0.entries.count } }

    /// The stored body, if enabled, present and younger than `maxAge`.
    public func body(for key: String, now: ContinuousClock.Instant = .now) -> [UInt8]? {
        state.withLock { state in
            guard state.enabled, let entry = state.entries[key] else { return nil }
            guard now - entry.storedAt < maxAge else {
                state.entries[key] = nil
                return nil
            }
            return entry.body
        }
    }

    /// Taken before a Redis read: nil while disabled (then nothing will be stored).
    public func readStarted() -> UInt64? {
        state.withLock { $0.enabled ? $0.generation : nil }
    }

    /// Keeps a body read from Redis, unless an invalidation arrived since `readStarted`.
    public func store(_ body: [UInt8], for key: String, readAt generation: UInt64, now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            guard state.enabled, state.generation == generation else { return }
            if state.entries.count >= capacity && state.entries[key] == nil { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = Entry(body: body, storedAt: now)
        }
    }

    /// Drops these keys (Redis said they changed) and refuses reads already in flight.
    public func invalidate(_ keys: [String]) {
        state.withLock { state in
            state.generation &+= 1
            for key in keys { state.entries[key] = nil }
        }
    }

    /// Drops everything and refuses reads already in flight.
    public func flush() {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll()
        }
    }

    /// Turns it on once invalidations are known to arrive; off (and empty) when they may not.
    public func setEnabled(_ enabled: Bool) {
        state.withLock { state in
            state.enabled = enabled
            state.generation &+= 1
            state.entries.removeAll()
        }
    }
}
