import CacheCore
import Logging
import RedisClient
import ServiceLifecycle
import Synchronization

/// One subscribed Redis connection that brings this server what other writers tell it: the
/// answers to its own write fences (on every server, so that any write can wait for them) and,
/// with a near cache, Redis's invalidations of the cache prefix (`CLIENT TRACKING` in broadcast
/// mode, redirected here), other servers' fences, and its own heartbeats, which renew the near
/// cache's lease. The near cache is on only while this subscription is confirmed, and is
/// emptied the moment the connection drops; then it subscribes again.
public final class InvalidationChannel: Service, Sendable {
    static let trackingChannel = "__redis__:invalidate"
    /// How often a heartbeat goes out: several per lease, so one slow echo does not end it.
    static let beatInterval: Duration = .milliseconds(100)

    let near: NearCache?
    let acks: FenceAcks
    /// Subscribed: nothing is sent on it after SUBSCRIBE, so every later reply is a message.
    let redis: RedisPipeline
    /// Sends fence answers and heartbeats (a subscribed connection cannot publish).
    let publisher: RedisPipeline
    let schema: CounterSchema
    let serverID: String
    let prefix: String
    let logger: Logger
    private let subscribed = Atomic(false)
    /// Heartbeats on their way, by sequence, with when each was sent.
    private let beats = Mutex<(last: UInt64, sent: [UInt64: ContinuousClock.Instant])>((0, [:]))

    init(near: NearCache?, acks: FenceAcks, redis: RedisPipeline, publisher: RedisPipeline, schema: CounterSchema,
         serverID: String, prefix: String, logger: Logger) {
        self.near = near
        self.acks = acks
        self.redis = redis
        self.publisher = publisher
        self.schema = schema
        self.serverID = serverID
        self.prefix = prefix
        self.logger = logger
        redis.onPush { [weak self] message in self?.handle(message) }
        redis.onStateChange { [weak self] up in
            guard !up, let self else { return }
            subscribed.store(false, ordering: .relaxed)
            near?.setEnabled(false)
        }
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if !subscribed.load(ordering: .relaxed) || !redis.isUp {
                await subscribe()
            } else if near != nil {
                await beat()
            }
            try? await Task.sleep(for: subscribed.load(ordering: .relaxed) ? Self.beatInterval : .milliseconds(250))
        }
        redis.stop()
    }

    /// With a near cache: `CLIENT TRACKING on REDIRECT <own id> BCAST PREFIX <prefix>:`, then
    /// one SUBSCRIBE per channel (each gets exactly one reply).
    private func subscribe() async {
        let sentAt = ContinuousClock.now
        do {
            var commands: [RedisCommand] = []
            var channels = [schema.inbox(serverID)]
            if near != nil {
                guard let id = try await redis.call("CLIENT", "ID").int else { return }
                commands.append(RedisCommand("CLIENT", "TRACKING", "on", "REDIRECT", String(id), "BCAST", "PREFIX", "\(prefix):"))
                channels += [Self.trackingChannel, schema.fences]
            }
            commands += channels.map { RedisCommand("SUBSCRIBE", $0) }
            let replies = try await redis.send(commands)
            guard replies.count == commands.count, !replies.contains(where: \.isError),
                  replies.suffix(channels.count).allSatisfy({ $0.elements.first?.string == "subscribe" }) else {
                logger.warning("near cache and write fences stay off: Redis refused the subscription", metadata: ["reply": "\(replies)"])
                return
            }
            near?.setEnabled(true, since: sentAt)
            subscribed.store(true, ordering: .relaxed)
            // The connection may have dropped while this task was resuming: its handler's
            // `setEnabled(false)` would then have come first. Nothing reconnects it but this task.
            if !redis.isUp {
                subscribed.store(false, ordering: .relaxed)
                near?.setEnabled(false)
                return
            }
            if near != nil { logger.info("near cache on: Redis sends invalidations for \(prefix):*") }
        } catch {
            logger.debug("invalidation channel waits for Redis", metadata: ["error": "\(error)"])
        }
    }

    /// Publishes a heartbeat to this server's own inbox; its echo renews the lease (`handle`).
    private func beat() async {
        let now = ContinuousClock.now
        let sequence = beats.withLock { beats in
            beats.last += 1
            beats.sent = beats.sent.filter { now - $0.value < NearCache.lease }
            beats.sent[beats.last] = now
            return beats.last
        }
        _ = try? await publisher.send(RedisCommand("PUBLISH", schema.inbox(serverID), "beat \(sequence)"))
    }

    /// `["message", channel, payload]`, in the order Redis published them.
    func handle(_ message: RedisReply) {
        let parts = message.elements
        guard parts.count == 3, parts[0].string == "message", let channel = parts[1].string else { return }
        switch channel {
        case Self.trackingChannel:
            // The keys that changed; a null list means FLUSHDB/FLUSHALL.
            if case .array(let keys) = parts[2] { near?.invalidate(keys.compactMap(\.string)) } else { near?.flush() }
        case schema.fences:
            // "{writer} {sequence}": forget everything (writes are rare), then answer the writer.
            let words = (parts[2].string ?? "").split(separator: " ")
            guard words.count == 2 else { return }
            near?.flush()
            let answer = RedisCommand("PUBLISH", schema.inbox(String(words[0])), "ack \(words[1])")
            Task { [publisher] in _ = try? await publisher.send(answer) }
        case schema.inbox(serverID):
            let words = (parts[2].string ?? "").split(separator: " ")
            guard words.count == 2, let sequence = UInt64(words[1]) else { return }
            if words[0] == "ack" {
                acks.acknowledged(sequence)
            } else if words[0] == "beat", let sentAt = beats.withLock({ $0.sent.removeValue(forKey: sequence) }) {
                near?.renewLease(sentAt: sentAt)
            }
        default:
            break
        }
    }
}
