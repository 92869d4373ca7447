import CacheCore
import CacheProtocol
import Logging
import RedisClient
import ServiceLifecycle
import Synchronization

/// One subscribed Redis connection that brings this server what other writers tell it: the
/// answers to its own write fences (on every server, so that any write can wait for them) and,
/// with a near cache, Redis's invalidations of the cache prefixes (`CLIENT TRACKING` in broadcast
/// mode, redirected here) and other servers' fences. Every server also sends itself a heartbeat
/// through it every 100 ms: its echo renews the near cache's lease, and a channel that stops
/// echoing is rebuilt (a connection can die without a word). The decisions are
/// `InvalidationChannelState`'s; this class performs them.
public final class InvalidationChannel: Service, Sendable {
    let near: NearCache?
    let acks: FenceAcks
    /// Subscribed: after the SUBSCRIBEs only pub/sub messages arrive on it.
    let redis: RedisPipeline
    /// Sends fence answers and heartbeats (a subscribed connection cannot publish).
    let publisher: RedisPipeline
    let schema: KeySchema
    let serverID: String
    /// The key prefixes Redis tracks for the near cache.
    let prefixes: [String]
    let logger: Logger
    private let state: Mutex<InvalidationChannelState>
    private let refusalLogged = Atomic(false)

    init(
        near: NearCache?, acks: FenceAcks, redis: RedisPipeline, publisher: RedisPipeline, schema: KeySchema,
        serverID: String, prefixes: [String], logger: Logger
    ) {
        self.near = near
        self.acks = acks
        self.redis = redis
        self.publisher = publisher
        self.schema = schema
        self.serverID = serverID
        self.prefixes = prefixes
        self.logger = logger
        state = Mutex(InvalidationChannelState(hasNearCache: near != nil, now: .now))
        redis.onPush { [weak self] message in self?.handle(message) }
        redis.onStateChange { [weak self] up in if !up { self?.step { $0.lost() } } }
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if state.withLock({ $0.needsSubscription(connectionUp: redis.isUp) }) { await subscribe() }
            let sentAt = ContinuousClock.now
            if let beat = step({ $0.beatDue(now: sentAt) }) {
                let command = Fences.beat(schema, server: serverID, sequence: beat.sequence, registers: beat.registers)
                let listeners = (try? await publisher.send(command))?.int
                step {
                    $0.beatAnswered(sentAt: sentAt, registered: beat.registers, listeners: listeners, connectionUp: redis.isUp)
                }
            }
            let subscribed = state.withLock { $0.isSubscribed }
            try? await Task.sleep(for: subscribed ? InvalidationChannelState.beatInterval : .milliseconds(250))
        }
        if near != nil { _ = try? await publisher.send(RedisCommand("ZREM", schema.nearCaches, serverID)) }
        redis.stop()
    }

    /// Applies `transition` and performs its actions under the state's lock, so that actions
    /// decided on different threads (a lost connection, an answered heartbeat) happen in the order
    /// decided. Returns the heartbeat to send, if one is due.
    @discardableResult
    private func step(
        _ transition: (inout InvalidationChannelState) -> [InvalidationChannelState.Action]
    )
        -> (sequence: UInt64, registers: Bool)?
    {
        state.withLock { state in
            var beat: (sequence: UInt64, registers: Bool)?
            for action in transition(&state) {
                switch action {
                case .sendBeat(let sequence, let registers): beat = (sequence, registers)
                case .reconnect(let reason):
                    logger.warning("\(reason); reconnecting")
                    redis.reconnect()
                case .enableNearCache(let since):
                    near?.setEnabled(true, since: since)
                    logger.info(
                        "near cache on: Redis sends invalidations", metadata: ["prefixes": "\(prefixes.joined(separator: " "))"])
                case .disableNearCache: near?.setEnabled(false)
                case .invalidateNear(let keys): near?.invalidate(keys)
                case .flushNear: near?.flush()
                case .acknowledge(let writer, let sequence):
                    let answer = Fences.acknowledge(schema, writer: writer, sequence: sequence, server: serverID)
                    Task { [publisher] in _ = try? await publisher.send(answer) }
                case .fenceAnswered(let sequence, let server): acks.acknowledged(sequence, by: server)
                case .renewLease(let sentAt): near?.renewLease(sentAt: sentAt)
                }
            }
            return beat
        }
    }

    /// With a near cache: `CLIENT TRACKING on REDIRECT <own id> BCAST PREFIX <prefix>: ...`; then one
    /// SUBSCRIBE per channel, each checked by name. A refusal leaves the connection in an unknown
    /// state, so it is dropped and the next attempt starts afresh.
    private func subscribe() async {
        do {
            var commands: [RedisCommand] = []
            var channels = [schema.inbox(serverID)]
            if near != nil {
                guard let id = try await redis.call("CLIENT", "ID").int else { return }
                commands.append(
                    RedisCommand(
                        ["CLIENT", "TRACKING", "on", "REDIRECT", String(id), "BCAST"] + prefixes.flatMap { ["PREFIX", "\($0):"] })
                )
                channels += [KeySchema.trackingChannel, schema.fences]
            }
            commands += channels.map { RedisCommand("SUBSCRIBE", $0) }
            let replies = try await redis.send(commands)
            let confirmed = replies.suffix(channels.count).map { $0.elements.prefix(2).map { $0.string ?? "" } }
            guard !replies.contains(where: \.isError), confirmed == channels.map({ ["subscribe", $0] }) else {
                let message =
                    "near cache and write fences wait: Redis refused the subscription (near cache needs Redis 6 or later)"
                logger.log(
                    level: refusalLogged.exchange(true, ordering: .relaxed) ? .debug : .warning, "\(message)",
                    metadata: ["reply": "\(replies)"])
                redis.reconnect()
                return
            }
            step { $0.subscribed(now: .now, connectionUp: redis.isUp) }
        } catch {
            logger.debug("invalidation channel waits for Redis", metadata: ["error": "\(error)"])
        }
    }

    /// `["message", channel, payload]`, in the order Redis published them.
    func handle(_ message: RedisReply) {
        let parts = message.elements
        guard parts.count == 3, parts[0].string == "message", let channel = parts[1].string else { return }
        let payload = parts[2].string ?? ""
        let decoded: InvalidationChannelState.Message?
        switch channel {
        case KeySchema.trackingChannel:
            if case .array(let keys) = parts[2] {
                decoded = .tracking(keys.compactMap(\.string))
            } else {
                decoded = .tracking(nil)
            }
        case schema.fences: decoded = FenceMessage(fencePayload: payload).map { .fence($0) }
        case schema.inbox(serverID): decoded = FenceMessage(inboxPayload: payload).map { .fence($0) }
        default: decoded = nil
        }
        guard let decoded else { return }
        let now = ContinuousClock.now
        step { $0.received(decoded, now: now) }
    }
}
