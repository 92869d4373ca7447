import CacheCore
import Logging
import RedisClient
import ServiceLifecycle

/// Ships what the recorder collected to Redis every `interval`, off the request path, as one
/// pipeline: counter deltas in a MULTI/EXEC (so a batch counts once or not at all), then the
/// events as XADDs to a capped stream. A batch Redis did not take is put back and retried.
public struct EventPublisher: Service {
    let recorder: EventRecorder
    let redis: RedisPipeline
    let schema: CounterSchema
    let eventsKey: String
    let streamMaxLength: Int
    let interval: Duration
    /// Stream entries sent per publish at most (the newest): the stream is capped at
    /// `streamMaxLength` anyway, and writing more than it keeps costs Redis CPU that the hit
    /// path needs. Counters are never sampled.
    let maxEventsPerPublish: Int
    let logger: Logger
    /// How long a key's counters outlive its last update.
    static let keyCountersLifetimeMs = "86400000"

    public init(recorder: EventRecorder, redis: RedisPipeline, schema: CounterSchema, eventsKey: String,
                streamMaxLength: Int = 10_000, interval: Duration = .milliseconds(100),
                maxEventsPerPublish: Int = 500, logger: Logger) {
        self.recorder = recorder
        self.redis = redis
        self.schema = schema
        self.eventsKey = eventsKey
        self.streamMaxLength = streamMaxLength
        self.interval = interval
        self.maxEventsPerPublish = maxEventsPerPublish
        self.logger = logger
    }

    public func run() async throws {
        // Keep publishing until shutdown; the services before us in the group (the HTTP
        // server) have drained by the time we stop, so the last flush sends everything.
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: interval)
            await publish()
        }
        await publish()
    }

    /// Publishes everything recorded so far; returns false if Redis did not take it.
    @discardableResult
    public func publish() async -> Bool {
        let batch = recorder.drain()
        guard !batch.isEmpty else { return true }
        do {
            let replies = try await redis.send(commands(for: batch))
            if let exec = replies.first(where: { if case .array = $0 { true } else { false } }), !exec.elements.contains(where: \.isError) {
                return true
            }
            recorder.restore(batch)
            logger.warning("Redis refused a counter batch; will retry")
            return false
        } catch {
            recorder.restore(batch)
            return false
        }
    }

    func commands(for batch: EventBatch) -> [RedisCommand] {
        var commands = [RedisCommand("MULTI")]
        for (route, counts) in batch.routes.sorted(by: { $0.key < $1.key }) {
            commands += increments(schema.route(route), counts)
        }
        if !batch.routes.isEmpty {
            commands.append(RedisCommand(["SADD", schema.routes] + batch.routes.keys.sorted()))
        }
        for (key, counts) in batch.keys {
            let hash = schema.key(key)
            commands += increments(hash, counts)
            commands.append(RedisCommand("PEXPIRE", hash, Self.keyCountersLifetimeMs))
        }
        commands.append(RedisCommand("EXEC"))
        for event in batch.events.suffix(maxEventsPerPublish) {
            commands.append(RedisCommand(["XADD", eventsKey, "MAXLEN", "~", String(streamMaxLength), "*"]
                                         + event.streamFields.flatMap { [$0.0, $0.1] }))
        }
        return commands
    }

    private func increments(_ hash: String, _ counts: RouteCounts) -> [RedisCommand] {
        CounterField.allCases.compactMap { field in
            counts[field] == 0 ? nil : RedisCommand("HINCRBY", hash, field.rawValue, String(counts[field]))
        }
    }
}

/// Retries invalidations that could not reach Redis, twenty times a second: the sooner they
/// are done once Redis answers, the shorter other servers (which cannot know of them) may
/// serve what they invalidate. Each try is one command on the admin connection, which
/// reconnects at most every 250 ms.
public struct InvalidationReplayer: Service {
    let invalidator: Invalidator
    let pending: PendingInvalidations

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
            if !pending.isEmpty { await invalidator.replayPending() }
        }
    }
}
