import CacheCore
import RedisClient
import Synchronization

/// Makes a write's invalidation reach every near cache before the write returns, on any server.
///
/// After the keys are deleted in Redis, the writer publishes a fence and, in the same script,
/// reads which near caches may be serving: those registered within `membership`
/// (`InvalidationChannel` registers each near cache before it serves, and every second).
/// Each near cache empties itself on the fence and answers on the writer's inbox. The writer waits
/// for all of them, or for `NearCache.lease` if some stay silent: a near cache that has not handled
/// the fence cannot renew its lease past then, so it has stopped serving from memory by the time
/// the write returns. One that registers after the fence only holds reads made after the delete.
public final class WriteFence: Sendable {
    public struct Outcome: Equatable, Sendable {
        /// Near caches that may have been serving when the fence was published.
        public let expected: Int
        /// Those that answered within the lease.
        public let confirmed: Int
    }

    /// How recently a near cache must have registered to be waited for. Any near cache that can
    /// still serve renewed its lease within the last 500 ms, and registers at least every second; the
    /// window is wider than that so that a step of Redis's wall clock does not drop live ones.
    public static let membership: Duration = .seconds(5)

    /// Redis's clock in ms as `now`, so that no two servers' clocks are ever compared.
    static let redisNow = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

        """

    /// KEYS[1]: the near caches' sorted set; ARGV: fence channel, message, membership window in ms.
    static let publishScript = redisNow + """
        redis.call('PUBLISH', ARGV[1], ARGV[2])
        return redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[3]), '+inf')
        """

    let redis: RedisPipeline
    let schema: CounterSchema
    let serverID: String
    let acks = FenceAcks()
    /// Fences published, and those that had to wait out a silent near cache's lease (`/cache/stats`).
    private let tally = Mutex((published: 0, waitedOut: 0))

    init(redis: RedisPipeline, schema: CounterSchema, serverID: String) {
        self.redis = redis
        self.schema = schema
        self.serverID = serverID
    }

    /// Publishes a fence and waits for the near caches; throws if Redis did not take it.
    func confirm() async throws -> Outcome {
        let sequence = acks.open()
        defer { acks.close(sequence) }
        let reply = try await redis.send(RedisCommand(
            "EVAL", Self.publishScript, "1", schema.nearCaches,
            schema.fences, "\(serverID) \(sequence)", String(Self.membership.wholeMilliseconds))).orThrow()
        let expected = Set(reply.elements.compactMap(\.string))
        let confirmed = await acks.wait(for: sequence, from: expected, until: .now + NearCache.lease)
        tally.withLock {
            $0.published += 1
            if confirmed < expected.count { $0.waitedOut += 1 }
        }
        return Outcome(expected: expected.count, confirmed: confirmed)
    }

    public var published: Int { tally.withLock { $0.published } }
    public var waitedOut: Int { tally.withLock { $0.waitedOut } }
}

/// Collects the answers to this server's open fences and wakes the writer waiting on one.
final class FenceAcks: Sendable {
    private struct Fence {
        var answered: Set<String> = []
        var needed: Set<String>?
        var waiter: CheckedContinuation<Int, Never>?

        var isComplete: Bool { needed.map { $0.isSubset(of: answered) } ?? false }
        var confirmed: Int { needed.map { $0.intersection(answered).count } ?? 0 }
    }

    private let fences = Mutex<[UInt64: Fence]>([:])
    private let lastSequence = Atomic<UInt64>(0)

    /// A new fence, open before it is published: answers may beat the publish's reply.
    func open() -> UInt64 {
        let sequence = lastSequence.add(1, ordering: .relaxed).newValue
        fences.withLock { $0[sequence] = Fence() }
        return sequence
    }

    /// Server `id`'s near cache answered (unknown or closed fences are ignored).
    func acknowledged(_ sequence: UInt64, by id: String) {
        let ready = fences.withLock { fences -> (CheckedContinuation<Int, Never>, Int)? in
            guard var fence = fences[sequence] else { return nil }
            fence.answered.insert(id)
            if fence.isComplete, let waiter = fence.waiter {
                fences[sequence] = nil
                return (waiter, fence.confirmed)
            }
            fences[sequence] = fence
            return nil
        }
        if let (waiter, confirmed) = ready { waiter.resume(returning: confirmed) }
    }

    /// Waits until every server in `needed` answered or `deadline` passed; returns how many did.
    func wait(for sequence: UInt64, from needed: Set<String>, until deadline: ContinuousClock.Instant) async -> Int {
        let timer = Task {
            guard (try? await Task.sleep(until: deadline)) != nil else { return }
            self.close(sequence)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { waiter in
            let ready = fences.withLock { fences -> Int? in
                guard var fence = fences[sequence] else { return 0 }  // already past the deadline
                fence.needed = needed
                if fence.isComplete {
                    fences[sequence] = nil
                    return fence.confirmed
                }
                fence.waiter = waiter
                fences[sequence] = fence
                return nil
            }
            if let ready { waiter.resume(returning: ready) }
        }
    }

    /// Removes the fence, waking its waiter with the answers so far.
    func close(_ sequence: UInt64) {
        let fence = fences.withLock { $0.removeValue(forKey: sequence) }
        if let fence, let waiter = fence.waiter { waiter.resume(returning: fence.confirmed) }
    }
}
