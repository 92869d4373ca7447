import Logging
import RedisClient
import Synchronization

/// Whether Redis refuses writes for want of memory: `maxmemory` reached under the `noeviction`
/// policy, answered `-OOM`. Reads still work, so the server keeps serving, but nothing is cached
/// and invalidations stay pending (every request bypasses). Without this alarm that state is
/// silent; with it the server logs it once, and reports it in `/health` and `/cache/stats`.
public final class RedisMemoryAlarm: Sendable {
    private let refusing = Atomic<Bool>(false)
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// Whether the last write Redis answered was refused for memory.
    public var isRaised: Bool { refusing.load(ordering: .relaxed) }

    /// Notes what Redis answered a write: `-OOM` raises the alarm, anything else clears it.
    func observe(_ reply: RedisReply) {
        if case .error(let message) = reply { writeFailed(ServerError(message: message)) } else { writeTaken() }
    }

    /// Notes a write that Redis took: it has room again.
    func writeTaken() { set(false) }

    /// Notes a write that failed: raises the alarm if Redis refused it for memory.
    func writeFailed(_ error: any Error) {
        if let error = error as? ServerError, error.message.hasPrefix("OOM") { set(true) }
    }

    private func set(_ raised: Bool) {
        guard refusing.exchange(raised, ordering: .relaxed) != raised else { return }
        if raised {
            logger.error(
                "Redis refuses writes: out of memory (maxmemory under noeviction); nothing is cached and invalidations wait, so requests bypass the cache"
            )
        } else {
            logger.info("Redis takes writes again")
        }
    }
}
