import CacheProtocol
import Synchronization

/// Bodies this server recently read from Redis, kept in memory so a repeated hit costs no
/// Redis round trip (`--near-cache`, on by default). Three things keep it honest:
/// - Redis's server-assisted client-side caching (`CLIENT TRACKING ... BCAST`): every write,
///   delete or expiry of a cached key by any client drops the entry here (`InvalidationChannel`);
/// - write fences: a write on any server returns only once every near cache confirmed that it
///   dropped its entries, or once their leases ran out (`WriteFence`);
/// - a lease: entries are served only within `lease` of a heartbeat that came back through the
///   invalidation channel, so a server that may have missed a fence (a stall, a silent
///   connection) stops serving from memory before the write that sent it returns.
///
/// A read stores its body only if no invalidation arrived while it was in flight, and an entry
/// lives at most `maxAge`, and never longer than the Redis entry it copies, both counted from
/// when the read was sent.
public final class NearCache: Sendable {
    /// How long a heartbeat keeps the near cache serving; a write waits this long at most for
    /// a near cache that does not confirm its fence.
    public static let lease = Fences.lease

    /// Taken before a Redis read; `store` refuses the reply if an invalidation came since.
    public struct Ticket: Sendable {
        let generation: UInt64
        let sentAt: ContinuousClock.Instant
    }

    private struct Entry {
        let body: [UInt8]
        /// The response the fast path sends for it, when `encode` makes one.
        let hit: EncodedHit?
        let expiresAt: ContinuousClock.Instant
    }

    private struct State {
        var enabled = false
        var generation: UInt64 = 0
        var leaseEnds = ContinuousClock.Instant.now
        var entries: [String: Entry] = [:]
        /// Bytes of keys and bodies held, kept under `capacityBytes`.
        var bytes = 0

        mutating func removeAll() {
            entries.removeAll(keepingCapacity: true)
            bytes = 0
        }

        mutating func remove(_ key: String) {
            if let entry = entries.removeValue(forKey: key) { bytes -= key.utf8.count + entry.body.count }
        }
    }

    public let maxAge: Duration
    /// What the bodies may take in memory (32 MiB by default). A body that does not fit empties the
    /// cache first: entries live a second or so anyway, and the hot ones come back at the next hit.
    public let capacityBytes: Int
    private let state = Mutex(State())
    /// Encodes a stored value as the fast path's response, once per store (nil: not answerable there).
    private let encode: @Sendable ([UInt8]) -> EncodedHit?

    public convenience init(maxAge: Duration, capacityBytes: Int = 32 << 20) {
        self.init(maxAge: maxAge, capacityBytes: capacityBytes, encode: { _ in nil })
    }

    init(maxAge: Duration, capacityBytes: Int = 32 << 20, encode: @escaping @Sendable ([UInt8]) -> EncodedHit?) {
        self.maxAge = maxAge
        self.capacityBytes = capacityBytes
        self.encode = encode
    }

    /// True while the invalidation channel is confirmed open.
    public var isEnabled: Bool { state.withLock { $0.enabled } }
    /// True while it may answer from memory: enabled and within its lease.
    public var isServing: Bool { state.withLock { $0.enabled && ContinuousClock.now < $0.leaseEnds } }
    public var count: Int { state.withLock { $0.entries.count } }
    public var bytes: Int { state.withLock { $0.bytes } }

    /// The stored body, if enabled, within the lease, present and not expired.
    public func body(for key: String, now: ContinuousClock.Instant = .now) -> [UInt8]? {
        entry(for: key, now: now)?.body
    }

    /// The fast path's response for the entry, under the same conditions as `body(for:)`.
    func encodedHit(for key: String, now: ContinuousClock.Instant = .now) -> EncodedHit? {
        entry(for: key, now: now)?.hit
    }

    private func entry(for key: String, now: ContinuousClock.Instant) -> Entry? {
        state.withLock { state in
            guard state.enabled, now < state.leaseEnds, let entry = state.entries[key] else { return nil }
            guard now < entry.expiresAt else {
                state.remove(key)
                return nil
            }
            return entry
        }
    }

    /// Taken before a Redis read: nil while disabled (then nothing will be stored).
    public func readStarted(now: ContinuousClock.Instant = .now) -> Ticket? {
        state.withLock { $0.enabled ? Ticket(generation: $0.generation, sentAt: now) : nil }
    }

    /// Keeps a body read from Redis, unless an invalidation arrived since `readStarted`; for at
    /// most `maxAge`, or `redisTTL` (what the Redis entry had left) if shorter.
    public func store(_ body: [UInt8], for key: String, ticket: Ticket, redisTTL: Duration? = nil) {
        let life = min(maxAge, redisTTL ?? maxAge)
        let size = key.utf8.count + body.count
        guard life > .zero, size <= capacityBytes else { return }
        let hit = encode(body)
        state.withLock { state in
            guard state.enabled, state.generation == ticket.generation else { return }
            state.remove(key)
            if state.bytes + size > capacityBytes { state.removeAll() }
            state.entries[key] = Entry(body: body, hit: hit, expiresAt: ticket.sentAt + life)
            state.bytes += size
        }
    }

    /// Drops these keys (Redis said they changed) and refuses reads already in flight.
    public func invalidate(_ keys: [String]) {
        state.withLock { state in
            state.generation &+= 1
            for key in keys { state.remove(key) }
        }
    }

    /// Drops everything and refuses reads already in flight.
    public func flush() {
        state.withLock { state in
            state.generation &+= 1
            state.removeAll()
        }
    }

    /// A heartbeat sent at `sentAt` came back: every fence published before it was handled.
    public func renewLease(sentAt: ContinuousClock.Instant) {
        state.withLock { $0.leaseEnds = max($0.leaseEnds, sentAt + Self.lease) }
    }

    /// On once invalidations are known to arrive (subscribed at `since`, which starts the
    /// lease); off (and empty) when they may not.
    public func setEnabled(_ enabled: Bool, since: ContinuousClock.Instant = .now) {
        state.withLock { state in
            state.enabled = enabled
            state.generation &+= 1
            state.removeAll()
            state.leaseEnds = enabled ? since + Self.lease : since
        }
    }
}
