import CacheCore
import RedisClient

/// What happened last to each cache key, kept in the key's counters hash (`KeySchema.key`) so
/// that a miss can say why it missed (`MissCause`). Every writer records its part in the same
/// atomic step as its change: the guarded fill (`filled`, with when the stored entry runs out and
/// how long its load took; or `refused`), every deletion (`invalidated`, with its reason), and a
/// load whose response is not stored (`uncacheable`). The fields, for `docs/schema.md`:
public enum KeyHistory {
    /// The last `KeyEvent`.
    public static let lastField = "last"
    /// Unix ms, by Redis's clock, at which the last fill's entry (TTL plus grace) runs out.
    public static let storedUntilField = "stored_until_ms"
    /// How long the last stored load took, in microseconds (what early refresh scales with).
    public static let loadTimeField = "load_us"
    /// The reason of the invalidation that deleted the key.
    public static let reasonField = "reason"
    /// The tags of the last fill, space-separated (tags are percent-encoded: they hold no space).
    public static let tagsField = "tags"
    /// How long a key's history outlives its last change, as its counters do.
    static let lifetimeMs = CounterUpdates.keyCountersLifetimeMs

    /// Lua: the current time by Redis's clock, in Unix ms, as `now`.
    static let luaNow = "local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)"

    /// Reads the history and Redis's clock; `no-writes`, so Redis answers it even when out of memory.
    static let causeScript = """
        #!lua flags=no-writes
        local h = redis.call('HMGET', KEYS[1], '\(lastField)', '\(storedUntilField)', '\(reasonField)')
        \(luaNow)
        return {h[1] or '', h[2] or '', h[3] or '', now}
        """

    /// Why a lookup of `key` is about to miss: one read, sent in the same round trip as the fill's
    /// generations, so a miss costs no extra wait for it.
    public static func readCause(of key: String, schema: KeySchema) -> RedisCommand {
        RedisCommand("EVAL", causeScript, "1", schema.key(key))
    }

    /// The cause in a `readCause` reply, and the invalidation's reason when it was one; nil if the
    /// reply is not one (Redis trouble: the miss is recorded without a cause).
    public static func cause(from reply: RedisReply) -> (cause: MissCause, reason: String?)? {
        let values = reply.elements
        guard values.count == 4, let nowMs = values[3].int else { return nil }
        let last = values[0].string.flatMap { KeyEvent(rawValue: $0) }
        let cause = MissCause(last: last, storedUntilMs: values[1].string.flatMap { Int64($0) }, nowMs: Int64(nowMs))
        let reason = values[2].string.flatMap { $0.isEmpty ? nil : $0 }
        return (cause, cause == .invalidated ? reason : nil)
    }

    /// How long the last stored load of `key` took (`loadTime(from:)` reads the reply).
    public static func readLoadTime(of key: String, schema: KeySchema) -> RedisCommand {
        RedisCommand("HGET", schema.key(key), loadTimeField)
    }

    public static func loadTime(from reply: RedisReply) -> Duration? {
        reply.string.flatMap { Int64($0) }.map { .microseconds($0) }
    }

    /// Records that the last load of `key` gave a response its route does not store.
    public static func markUncacheable(_ key: String, schema: KeySchema) -> [RedisCommand] {
        let hash = schema.key(key)
        return [RedisCommand("HSET", hash, lastField, KeyEvent.uncacheable.rawValue), RedisCommand("PEXPIRE", hash, lifetimeMs)]
    }

    /// Lua, for a deletion script: `UNLINK` the key in `key` and, if it existed, record the
    /// invalidation in its history; adds to `deleted`. Expects the hash prefix in ARGV[1] and the
    /// reason in ARGV[2].
    static let luaUnlinkAndRecord = """
        if redis.call('UNLINK', key) == 1 then
            deleted = deleted + 1
            local h = ARGV[1] .. key
            redis.call('HSET', h, '\(lastField)', '\(KeyEvent.invalidated.rawValue)', '\(reasonField)', ARGV[2])
            redis.call('PEXPIRE', h, '\(lifetimeMs)')
          end
        """
}
