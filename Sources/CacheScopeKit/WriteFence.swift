import CacheCore
import CacheProtocol
import RedisClient
import Synchronization

/// Makes a write's invalidation reach every near cache before the write returns, on any server
/// (the protocol: `Fences`). A near cache that registers after the fence only holds reads made
/// after the delete.
public final class WriteFence: Sendable {
    public struct Outcome: Equatable, Sendable {
        /// Near caches that may have been serving when the fence was published.
        public let expected: Int
        /// Those that answered within the lease.
        public let confirmed: Int
    }

    let redis: RedisPipeline
    let schema: KeySchema
    let serverID: String
    let acks = FenceAcks()
    /// Fences published, and those that had to wait out a silent near cache's lease (`/cache/stats`).
    private let tally = Mutex((published: 0, waitedOut: 0))

    init(redis: RedisPipeline, schema: KeySchema, serverID: String) {
        self.redis = redis
        self.schema = schema
        self.serverID = serverID
    }

    /// Publishes a fence and waits for the near caches; throws if Redis did not take it.
    func confirm() async throws -> Outcome {
        let sequence = acks.open()
        defer { acks.close(sequence) }
        let reply = try await redis.send(Fences.publish(schema, writer: serverID, sequence: sequence)).orThrow()
        let expected = Set(reply.elements.compactMap(\.string))
        let confirmed = await acks.wait(for: sequence, from: expected, until: .now + Fences.lease)
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
