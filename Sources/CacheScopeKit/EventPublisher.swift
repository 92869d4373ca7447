import CacheCore
import CacheProtocol
import Logging
import RedisClient
import ServiceLifecycle

/// Ships what the recorder collected to Redis every `interval`, off the request path, as one
/// pipeline: counter deltas in a MULTI/EXEC (so a batch counts once or not at all), then the
/// events as XADDs to a capped stream. A batch Redis did not take is put back and retried.
public struct EventPublisher: Service {
    let recorder: EventRecorder
    let redis: RedisPipeline
    let counters: CounterUpdates
    let stream: EventStream
    let interval: Duration
    /// Stream entries sent per publish at most (the newest): the stream is capped at
    /// `stream.maxLength` anyway, and writing more than it keeps costs Redis CPU that the hit
    /// path needs. Counters are never sampled.
    let maxEventsPerPublish: Int
    let logger: Logger

    public init(
        recorder: EventRecorder, redis: RedisPipeline, schema: KeySchema, stream: EventStream,
        interval: Duration = .milliseconds(100), maxEventsPerPublish: Int = 500, logger: Logger
    ) {
        self.recorder = recorder
        self.redis = redis
        self.counters = CounterUpdates(schema: schema)
        self.stream = stream
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
            if let exec = replies.first(where: { if case .array = $0 { true } else { false } }),
                !exec.elements.contains(where: \.isError)
            {
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
        counters.transaction(for: batch) + batch.events.suffix(maxEventsPerPublish).map(stream.append)
    }
}

/// Retries invalidations that could not reach Redis, twenty times a second: the sooner they
/// are done once Redis answers, the shorter other servers (which cannot know of them) may
/// serve what they invalidate. Each try is one command on the admin connection, which
/// reconnects at most every 250 ms.
public struct InvalidationReplayer: Service {
    let invalidator: Invalidator

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
            if !invalidator.pending.isEmpty { await invalidator.replayPending() }
        }
    }
}
