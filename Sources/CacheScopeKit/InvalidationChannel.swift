import CacheCore
import CacheProtocol
import Logging
import RedisClient
import ServiceLifecycle
import Synchronization

/// One subscribed Redis connection that brings this server what other writers tell it: the
/// answers to its own write fences (on every server, so that any write can wait for them) and,
/// with a near cache, Redis's invalidations of the cache prefix (`CLIENT TRACKING` in broadcast
/// mode, redirected here) and other servers' fences. Every server also sends itself a heartbeat
/// through it every 100 ms: its echo renews the near cache's lease, and a channel that stops
/// echoing is rebuilt (a connection can die without a word). Every tenth heartbeat, and each one
/// until the near cache is on, also registers it as one that fences must wait for. The near cache is on only while the subscription is
/// confirmed and registered, and is emptied the moment the connection drops.
public final class InvalidationChannel: Service, Sendable {
    /// How often a heartbeat goes out: several per lease, so one slow echo does not end it.
    static let beatInterval: Duration = .milliseconds(100)
    /// No echo for this long: the connection is presumed dead and rebuilt.
    static let silenceLimit: Duration = Fences.lease * 3

    private struct Beats {
        var last: UInt64 = 0
        /// Heartbeats on their way, by sequence, with when each was sent.
        var sent: [UInt64: ContinuousClock.Instant] = [:]
        var lastEcho = ContinuousClock.now
    }

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
    private let subscribed = Atomic(false)
    private let beats = Mutex(Beats())
    private let refusalLogged = Atomic(false)

    init(near: NearCache?, acks: FenceAcks, redis: RedisPipeline, publisher: RedisPipeline, schema: KeySchema,
         serverID: String, prefixes: [String], logger: Logger) {
        self.near = near
        self.acks = acks
        self.redis = redis
        self.publisher = publisher
        self.schema = schema
        self.serverID = serverID
        self.prefixes = prefixes
        self.logger = logger
        redis.onPush { [weak self] message in self?.handle(message) }
        redis.onStateChange { [weak self] up in if !up { self?.lost() } }
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if !subscribed.load(ordering: .relaxed) || !redis.isUp { await subscribe() }
            if subscribed.load(ordering: .relaxed) { await beat() }
            try? await Task.sleep(for: subscribed.load(ordering: .relaxed) ? Self.beatInterval : .milliseconds(250))
        }
        if near != nil { _ = try? await publisher.send(RedisCommand("ZREM", schema.nearCaches, serverID)) }
        redis.stop()
    }

    /// The connection dropped, or is presumed dead: nothing may be served from memory.
    private func lost() {
        subscribed.store(false, ordering: .relaxed)
        near?.setEnabled(false)
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
                commands.append(RedisCommand(["CLIENT", "TRACKING", "on", "REDIRECT", String(id), "BCAST"]
                                             + prefixes.flatMap { ["PREFIX", "\($0):"] }))
                channels += [KeySchema.trackingChannel, schema.fences]
            }
            commands += channels.map { RedisCommand("SUBSCRIBE", $0) }
            let replies = try await redis.send(commands)
            let confirmed = replies.suffix(channels.count).map { $0.elements.prefix(2).map { $0.string ?? "" } }
            guard !replies.contains(where: \.isError), confirmed == channels.map({ ["subscribe", $0] }) else {
                let message = "near cache and write fences wait: Redis refused the subscription (near cache needs Redis 6 or later)"
                logger.log(level: refusalLogged.exchange(true, ordering: .relaxed) ? .debug : .warning, "\(message)",
                           metadata: ["reply": "\(replies)"])
                redis.reconnect()
                return
            }
            beats.withLock { $0.lastEcho = .now }
            subscribed.store(true, ordering: .relaxed)
            // The connection may have dropped while this task was resuming, before the flag was set.
            if !redis.isUp { lost() }
        } catch {
            logger.debug("invalidation channel waits for Redis", metadata: ["error": "\(error)"])
        }
    }

    /// Publishes a heartbeat to this server's own inbox (registering the near cache now and then);
    /// turns the near cache on after its first registration; rebuilds a connection that stopped
    /// echoing, or whose subscription Redis no longer has.
    private func beat() async {
        let now = ContinuousClock.now
        let (sequence, silent) = beats.withLock { beats in
            beats.last += 1
            beats.sent = beats.sent.filter { now - $0.value < Fences.lease }
            beats.sent[beats.last] = now
            return (beats.last, now - beats.lastEcho > Self.silenceLimit)
        }
        if silent {
            logger.warning("invalidation channel silent; reconnecting")
            lost()
            redis.reconnect()
            return
        }
        let registers = near.map { !$0.isEnabled || sequence % 10 == 0 } ?? false
        let command = Fences.beat(schema, server: serverID, sequence: sequence, registers: registers)
        guard let listeners = (try? await publisher.send(command))?.int else { return }
        if listeners == 0 {
            logger.warning("invalidation channel no longer subscribed; reconnecting")
            lost()
            redis.reconnect()
            return
        }
        guard let near, !near.isEnabled else { return }
        // Registered, by Redis's clock, no earlier than `now`, where the lease starts.
        near.setEnabled(true, since: now)
        if !subscribed.load(ordering: .relaxed) || !redis.isUp {
            near.setEnabled(false)
        } else {
            logger.info("near cache on: Redis sends invalidations", metadata: ["prefixes": "\(prefixes.joined(separator: " "))"])
        }
    }

    /// `["message", channel, payload]`, in the order Redis published them.
    func handle(_ message: RedisReply) {
        let parts = message.elements
        guard parts.count == 3, parts[0].string == "message", let channel = parts[1].string else { return }
        let payload = parts[2].string ?? ""
        switch channel {
        case KeySchema.trackingChannel:
            // The keys that changed; a null list means FLUSHDB/FLUSHALL.
            if case .array(let keys) = parts[2] { near?.invalidate(keys.compactMap(\.string)) } else { near?.flush() }
        case schema.fences:
            // Forget everything (writes are rare), then answer the writer.
            guard case .fence(let writer, let sequence)? = FenceMessage(fencePayload: payload), let near else { return }
            near.flush()
            let answer = Fences.acknowledge(schema, writer: writer, sequence: sequence, server: serverID)
            Task { [publisher] in _ = try? await publisher.send(answer) }
        case schema.inbox(serverID):
            switch FenceMessage(inboxPayload: payload) {
            case .ack(let sequence, let server)?:
                acks.acknowledged(sequence, by: server)
            case .beat(let sequence)?:
                let sentAt = beats.withLock { beats in
                    beats.lastEcho = .now
                    return beats.sent.removeValue(forKey: sequence)
                }
                if let sentAt { near?.renewLease(sentAt: sentAt) }
            default:
                break
            }
        default:
            break
        }
    }
}
