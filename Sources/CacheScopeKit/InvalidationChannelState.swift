import CacheProtocol

/// The decisions of a server's invalidation channel as a value: when to (re)subscribe, when to
/// send a heartbeat and whether it registers the near cache, when the near cache may serve, and
/// what each message asks for. It reads no clock (every event brings `now`) and does no I/O:
/// `InvalidationChannel` performs its actions.
struct InvalidationChannelState {
    typealias Instant = ContinuousClock.Instant

    /// How often a heartbeat goes out: several per lease, so one slow echo does not end it.
    static let beatInterval: Duration = .milliseconds(100)
    /// No echo for this long: the connection is presumed dead and rebuilt.
    static let silenceLimit: Duration = Fences.lease * 3
    /// Every this many heartbeats registers the near cache again (`Fences.membership` is wider).
    static let registrationEvery: UInt64 = 10

    enum Action: Equatable {
        /// Publish heartbeat `sequence` to the own inbox; `registers` lists the near cache as serving.
        case sendBeat(sequence: UInt64, registers: Bool)
        /// Drop the connection and subscribe afresh (the reason is logged).
        case reconnect(reason: String)
        /// The near cache may serve from `since` (its lease starts there).
        case enableNearCache(since: Instant)
        /// Nothing may be served from memory: empty it.
        case disableNearCache
        case invalidateNear([String])
        case flushNear
        /// Answer `writer`'s fence: this near cache dropped everything.
        case acknowledge(writer: String, sequence: UInt64)
        /// A near cache answered one of this server's fences.
        case fenceAnswered(sequence: UInt64, by: String)
        /// A heartbeat sent at `sentAt` came back: every fence published before it was handled.
        case renewLease(sentAt: Instant)
    }

    /// What arrived on the subscribed connection.
    enum Message: Equatable {
        /// Redis's tracking: these keys changed; nil for FLUSHDB/FLUSHALL.
        case tracking([String]?)
        case fence(FenceMessage)
    }

    let hasNearCache: Bool
    private(set) var isSubscribed = false
    private(set) var nearCacheEnabled = false
    private var lastBeat: UInt64 = 0
    /// Heartbeats on their way, by sequence, with when each was sent.
    private var sentBeats: [UInt64: Instant] = [:]
    private var lastEcho: Instant

    init(hasNearCache: Bool, now: Instant) {
        self.hasNearCache = hasNearCache
        lastEcho = now
    }

    /// Whether the run loop must subscribe (again) before the next heartbeat.
    func needsSubscription(connectionUp: Bool) -> Bool { !isSubscribed || !connectionUp }

    /// The subscriptions were confirmed at `now`; the connection may have dropped meanwhile.
    mutating func subscribed(now: Instant, connectionUp: Bool) -> [Action] {
        lastEcho = now
        isSubscribed = true
        return connectionUp ? [] : lost()
    }

    /// The connection dropped, or is presumed dead: nothing may be served from memory.
    mutating func lost() -> [Action] {
        isSubscribed = false
        nearCacheEnabled = false
        return hasNearCache ? [.disableNearCache] : []
    }

    /// Time for a heartbeat: one goes out, or the connection is rebuilt if echoes stopped.
    mutating func beatDue(now: Instant) -> [Action] {
        guard isSubscribed else { return [] }
        if now - lastEcho > Self.silenceLimit { return lost() + [.reconnect(reason: "invalidation channel silent")] }
        lastBeat += 1
        sentBeats = sentBeats.filter { now - $0.value < Fences.lease }
        sentBeats[lastBeat] = now
        let registers = hasNearCache && (!nearCacheEnabled || lastBeat % Self.registrationEvery == 0)
        return [.sendBeat(sequence: lastBeat, registers: registers)]
    }

    /// The beat script sent at `sentAt` answered: `listeners` subscribers heard it (nil: no
    /// answer). A beat that registered the near cache, heard by the inbox, turns the near cache on
    /// from when it was sent: Redis's clock registered it no earlier.
    mutating func beatAnswered(sentAt: Instant, registered: Bool, listeners: Int?, connectionUp: Bool) -> [Action] {
        guard let listeners else { return [] }
        if listeners == 0 { return lost() + [.reconnect(reason: "invalidation channel no longer subscribed")] }
        guard registered, hasNearCache, !nearCacheEnabled, isSubscribed, connectionUp else { return [] }
        nearCacheEnabled = true
        return [.enableNearCache(since: sentAt)]
    }

    mutating func received(_ message: Message, now: Instant) -> [Action] {
        switch message {
        case .tracking(let keys?): return hasNearCache ? [.invalidateNear(keys)] : []
        case .tracking(nil): return hasNearCache ? [.flushNear] : []
        case .fence(.fence(let writer, let sequence)):
            // Forget everything (writes are rare), then answer the writer.
            return hasNearCache ? [.flushNear, .acknowledge(writer: writer, sequence: sequence)] : []
        case .fence(.ack(let sequence, let server)): return [.fenceAnswered(sequence: sequence, by: server)]
        case .fence(.beat(let sequence)):
            lastEcho = now
            return sentBeats.removeValue(forKey: sequence).map { [.renewLease(sentAt: $0)] } ?? []
        }
    }
}
