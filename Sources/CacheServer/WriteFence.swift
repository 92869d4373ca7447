import CacheCore
import RedisClient
import Synchronization

/// Makes a write's invalidation reach every near cache before the write returns, on any server.
///
/// After the keys are deleted in Redis, the writer publishes a fence; `PUBLISH` answers with the
/// number of near caches subscribed. Each one empties itself and answers on the writer's inbox
/// (`InvalidationChannel`). The writer waits for all answers, or for `NearCache.lease` if some
/// stay silent: a near cache that has not handled the fence cannot renew its lease past then,
/// so it has stopped serving from memory by the time the write returns. A near cache that
/// subscribes after the fence only holds reads made after the delete.
public final class WriteFence: Sendable {
    public struct Outcome: Equatable, Sendable {
        /// Near caches subscribed when the fence was published.
        public let expected: Int
        /// Those that answered within the lease.
        public let confirmed: Int
    }

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
        guard let expected = try await redis.call("PUBLISH", schema.fences, "\(serverID) \(sequence)").int else {
            throw RedisError.connectionLost("PUBLISH answered without a count")
        }
        let confirmed = await acks.wait(for: sequence, count: expected, until: .now + NearCache.lease)
        tally.withLock {
            $0.published += 1
            if confirmed < expected { $0.waitedOut += 1 }
        }
        return Outcome(expected: expected, confirmed: confirmed)
    }

    public var published: Int { tally.withLock { $0.published } }
    public var waitedOut: Int { tally.withLock { $0.waitedOut } }
}

/// Counts the answers to this server's open fences and wakes the writer waiting on one.
final class FenceAcks: Sendable {
    private struct Fence {
        var acks = 0
        var needed = Int.max
        var waiter: CheckedContinuation<Int, Never>?
    }

    private let fences = Mutex<[UInt64: Fence]>([:])
    private let lastSequence = Atomic<UInt64>(0)

    /// A new fence, open before it is published: answers may beat `PUBLISH`'s reply.
    func open() -> UInt64 {
        let sequence = lastSequence.add(1, ordering: .relaxed).newValue
        fences.withLock { $0[sequence] = Fence() }
        return sequence
    }

    func close(_ sequence: UInt64) {
        finish(sequence)
    }

    /// One near cache answered (unknown or closed fences are ignored).
    func acknowledged(_ sequence: UInt64) {
        let ready = fences.withLock { fences -> (CheckedContinuation<Int, Never>, Int)? in
            guard var fence = fences[sequence] else { return nil }
            fence.acks += 1
            if fence.acks >= fence.needed, let waiter = fence.waiter {
                fences[sequence] = nil
                return (waiter, fence.acks)
            }
            fences[sequence] = fence
            return nil
        }
        if let (waiter, acks) = ready { waiter.resume(returning: acks) }
    }

    /// Waits until `count` answers came or `deadline` passed; returns how many came.
    func wait(for sequence: UInt64, count: Int, until deadline: ContinuousClock.Instant) async -> Int {
        let timer = Task {
            guard (try? await Task.sleep(until: deadline)) != nil else { return }
            self.finish(sequence)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { waiter in
            let ready = fences.withLock { fences -> Int? in
                guard var fence = fences[sequence] else { return 0 }  // already past the deadline
                if fence.acks >= count {
                    fences[sequence] = nil
                    return fence.acks
                }
                fence.needed = count
                fence.waiter = waiter
                fences[sequence] = fence
                return nil
            }
            if let ready { waiter.resume(returning: ready) }
        }
    }

    /// Removes the fence, waking its waiter with the answers so far.
    private func finish(_ sequence: UInt64) {
        let fence = fences.withLock { $0.removeValue(forKey: sequence) }
        if let fence, let waiter = fence.waiter { waiter.resume(returning: fence.acks) }
    }
}
