import CacheCore
import CacheProtocol
import Logging
import RedisClient
import Synchronization

/// Invalidations that could not reach Redis yet, in order. While any is pending the cache is
/// bypassed, so nothing stale can be served before they are carried out.
public final class PendingInvalidations: Sendable {
    struct Entry: Sendable {
        let id: UInt64
        let target: DeletionTarget
        /// The write that asked for it, kept for the deleted keys' history.
        let reason: String
    }

    private let state = Mutex<(lastID: UInt64, entries: [Entry])>((0, []))

    public init() {}

    public var isEmpty: Bool { state.withLock { $0.entries.isEmpty } }
    public var count: Int { state.withLock { $0.entries.count } }

    func append(_ targets: some Sequence<DeletionTarget>, reason: String) {
        state.withLock { state in
            for target in targets {
                state.lastID += 1
                state.entries.append(Entry(id: state.lastID, target: target, reason: reason))
            }
        }
    }

    func snapshot() -> [Entry] { state.withLock { $0.entries } }

    /// Removes those carried out, by identity: two replays may run at once (a write's and the
    /// background one), and neither may remove what the other queued after its snapshot.
    func remove(_ done: [Entry]) {
        let ids = Set(done.map(\.id))
        state.withLock { $0.entries.removeAll { ids.contains($0.id) } }
    }
}

/// Deletes cache entries by key or glob pattern, with SCAN + UNLINK (never KEYS), after
/// bumping the generation that fills check (and that in-flight loads are joined by); then
/// waits until every server's near cache has let go of them (`WriteFence`).
public final class Invalidator: Sendable {
    private let deletion: KeyDeletion
    private let recorder: EventRecorder
    let pending: PendingInvalidations
    public let fence: WriteFence
    private let near: NearCache?
    /// Told whether Redis took each deletion, so a refusal for memory is named.
    let memory: RedisMemoryAlarm
    private let logger: Logger
    /// How long a write may wait on Redis before its invalidation is left to the background.
    private let deadline: Duration
    /// Invalidations carried out in the last `replicationWindow`: a replica promoted by a failover
    /// may not have received them (replication is asynchronous), so they are redone on it.
    private let recent = Mutex<[(at: ContinuousClock.Instant, target: DeletionTarget, reason: String)]>([])
    static let replicationWindow = Duration.seconds(10)

    init(
        redis: RedisPipeline, schema: KeySchema, recorder: EventRecorder, pending: PendingInvalidations,
        fence: WriteFence, near: NearCache? = nil, memory: RedisMemoryAlarm, logger: Logger,
        deadline: Duration = .seconds(1)
    ) {
        self.memory = memory
        self.deletion = KeyDeletion(redis: redis, schema: schema)
        self.recorder = recorder
        self.pending = pending
        self.fence = fence
        self.near = near
        self.logger = logger
        self.deadline = deadline
    }

    /// Invalidates every target; returns the number of keys deleted, or nil if Redis could not
    /// be reached in time (the invalidation then stays pending and the cache is bypassed until done).
    @discardableResult
    public func invalidate(_ targets: [DeletionTarget], reason: String) async -> Int? {
        // Redis will say so too, but this write must not wait for that message before it answers.
        defer { near?.flush() }
        // Earlier invalidations first: this write must not return before they are carried out either.
        if !pending.isEmpty { await replayPending() }
        guard pending.isEmpty else {
            pending.append(targets, reason: reason)
            return nil
        }
        let until = ContinuousClock.now + deadline
        var total = 0
        for (index, target) in targets.enumerated() {
            do {
                total += try await delete(target, reason: reason, until: until)
            } catch {
                pending.append(targets[index...], reason: reason)
                logger.warning(
                    "invalidation left pending until Redis answers",
                    metadata: [
                        "reason": "\(reason)", "targets": "\(targets[index...].map(\.description).joined(separator: " "))",
                        "error": "\(error)",
                    ])
                return nil
            }
        }
        guard await fenceNearCaches() else {
            pending.append(targets, reason: reason)
            // The deletions went through, so Redis's tracking tells the near caches; give that the
            // time of a lease, the longest a near cache may go on without hearing from Redis.
            try? await Task.sleep(for: Fences.lease)
            return nil
        }
        remember(targets, reason: reason)
        logger.info(
            "invalidated",
            metadata: [
                "reason": "\(reason)", "keys": "\(total)",
                "targets": "\(targets.map(\.description).joined(separator: " "))",
            ])
        return total
    }

    /// Carries out pending invalidations in order; stops at the first that still fails.
    public func replayPending() async {
        let queued = pending.snapshot()
        guard !queued.isEmpty else { return }
        var done: [PendingInvalidations.Entry] = []
        for entry in queued {
            guard let deleted = try? await delete(entry.target, reason: entry.reason, until: .now + deadline) else {
                break
            }
            done.append(entry)
            logger.info("pending invalidation carried out", metadata: ["target": "\(entry.target)", "keys": "\(deleted)"])
        }
        // Until the near caches are told, the deletions are redone next time (they are idempotent).
        guard !done.isEmpty, await fenceNearCaches() else { return }
        pending.remove(done)
        for entry in done { remember([entry.target], reason: entry.reason) }
    }

    private func remember(_ targets: [DeletionTarget], reason: String) {
        let now = ContinuousClock.now
        recent.withLock { recent in
            recent.removeAll { now - $0.at > Self.replicationWindow }
            recent.append(contentsOf: targets.map { (now, $0, reason) })
        }
    }

    /// After a failover: no fill that began before it is stored (the global generation jumps), and
    /// the invalidations of the last `replicationWindow` are queued again, with the cache bypassed
    /// until they are redone on the new master.
    func redoAfterFailover(nowMs: Int64) async {
        let redone = recent.withLock { recent in
            defer { recent.removeAll() }
            return recent
        }
        for entry in redone { pending.append([entry.target], reason: "\(entry.reason) (redone after a Redis failover)") }
        let until = ContinuousClock.now + .seconds(30)
        while (try? await deletion.bumpGlobalPastFailover(nowMs: nowMs, reason: "Redis failover")) == nil {
            guard ContinuousClock.now < until else {
                logger.error("could not reach the new Redis master to bump the global generation after a failover")
                break
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        await replayPending()
        logger.info("failover handled", metadata: ["invalidations_redone": "\(redone.count)", "pending": "\(pending.count)"])
    }

    /// Publishes a write fence; false if Redis did not take it. Silent near caches are waited out.
    private func fenceNearCaches() async -> Bool {
        do {
            let outcome = try await fence.confirm()
            if outcome.confirmed < outcome.expected {
                logger.warning(
                    "near caches did not confirm an invalidation; waited out their lease",
                    metadata: [
                        "expected": "\(outcome.expected)", "confirmed": "\(outcome.confirmed)",
                    ])
            }
            return true
        } catch {
            logger.warning("invalidation left pending until the near caches can be told", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Deletes through the shared protocol, then records the invalidation.
    private func delete(_ target: DeletionTarget, reason: String, until: ContinuousClock.Instant) async throws -> Int {
        let deleted: Int
        do {
            deleted = try await deletion.delete(target, reason: reason, until: until)
        } catch {
            memory.writeFailed(error)
            throw error
        }
        memory.writeTaken()
        recorder.record(.invalidate, key: target.description, route: "*", deleted: deleted, reason: reason)
        return deleted
    }
}
