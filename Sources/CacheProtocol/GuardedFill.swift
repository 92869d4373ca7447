import CacheCore
import RedisClient

/// The write that stores a loaded body only if no invalidation came while it loaded.
///
/// A fill first reads the generations of its key's group, the global one and those of its tags
/// (`readGenerations`); an invalidation bumps the one it covers before it deletes (`KeyDeletion`).
/// The store script compares them all atomically: so either the invalidation sees the entry and
/// deletes it, or the fill sees a new generation and stores nothing. In the same script it adds
/// the key to each of its tags' sets, and records which request fills the key, so any server can
/// re-warm it.
public struct GuardedFill: Sendable {
    /// The generations a fill read before loading, in the order the script compares them.
    public struct Generations: Sendable, Equatable {
        public let group: String
        public let global: String
        /// One per tag, in the order of the fill's tags.
        public let tags: [String]

        /// Loads that started with the same generations may share one origin fetch.
        public var version: String { ([group, global] + tags).joined(separator: ",") }
    }

    /// KEYS: the entry, the generations hash, the key's counters hash, then one set per tag.
    /// ARGV: value, PX, group field, group and global generations, request, load time (µs), the
    /// tags (space-separated), then per tag its generation field and the generation read. A tag set lives as long as its
    /// longest entry. Either way the key's history (`KeyHistory`) records the outcome.
    static let script = """
        local function refuse(field)
          local reason = redis.call('HGET', KEYS[2], '\(KeySchema.reasonPrefix)' .. field) or ''
          redis.call('HSET', KEYS[3], '\(KeyHistory.lastField)', '\(KeyEvent.refused.rawValue)', '\(KeyHistory.reasonField)', reason)
          redis.call('PEXPIRE', KEYS[3], '\(KeyHistory.lifetimeMs)')
          return reason
        end
        local gens = redis.call('HMGET', KEYS[2], ARGV[3], '*')
        if (gens[1] or '0') ~= ARGV[4] then return refuse(ARGV[3]) end
        if (gens[2] or '0') ~= ARGV[5] then return refuse('*') end
        local tags = #KEYS - 3
        for i = 1, tags do
          if (redis.call('HGET', KEYS[2], ARGV[7 + 2 * i]) or '0') ~= ARGV[8 + 2 * i] then return refuse(ARGV[7 + 2 * i]) end
        end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        \(KeyHistory.luaNow)
        redis.call('HSET', KEYS[3], 'request', ARGV[6], '\(KeyHistory.lastField)', '\(KeyEvent.filled.rawValue)',
          '\(KeyHistory.storedUntilField)', string.format('%d', now + tonumber(ARGV[2])), '\(KeyHistory.loadTimeField)', ARGV[7],
          '\(KeyHistory.tagsField)', ARGV[8])
        redis.call('PEXPIRE', KEYS[3], '\(KeyHistory.lifetimeMs)')
        for i = 1, tags do
          redis.call('SADD', KEYS[3 + i], KEYS[1])
          if redis.call('PTTL', KEYS[3 + i]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[3 + i], ARGV[2]) end
        end
        return 1
        """

    public let schema: KeySchema

    public init(schema: KeySchema) { self.schema = schema }

    /// `HMGET` of the key's group generation, the global one and its tags'.
    public func readGenerations(of key: CacheKey, tags: [String] = []) -> RedisCommand {
        RedisCommand(["HMGET", schema.generations, key.group, KeySchema.allGroups] + tags.map(KeySchema.tagGeneration))
    }

    /// The generations in a `readGenerations` reply; nil if the reply is not one.
    public func generations(from reply: RedisReply, tags: Int = 0) -> Generations? {
        let values = reply.elements.map { $0.string ?? "0" }
        guard values.count == 2 + tags else { return nil }
        return Generations(group: values[0], global: values[1], tags: Array(values.dropFirst(2)))
    }

    /// The script call that stores `value` for `ttlMs` under its tags unless any generation moved;
    /// `loadTime` is what the load took, kept in the key's history.
    public func store(
        _ value: [UInt8], for key: CacheKey, ttlMs: Int, tags: [String] = [], generations: Generations,
        loadTime: Duration = .zero
    ) -> RedisCommand {
        let name = key.description
        var arguments: [[UInt8]] = [
            Array("EVAL".utf8), Array(Self.script.utf8), Array(String(3 + tags.count).utf8),
            Array(name.utf8), Array(schema.generations.utf8), Array(schema.key(name).utf8),
        ]
        arguments += tags.map { Array(schema.tag($0).utf8) }
        arguments += [
            value, Array(String(ttlMs).utf8), Array(key.group.utf8),
            Array(generations.group.utf8), Array(generations.global.utf8), Array(key.request.utf8),
            Array(String(loadTime.wholeMicroseconds).utf8), Array(tags.joined(separator: " ").utf8),
        ]
        for (tag, generation) in zip(tags, generations.tags) {
            arguments += [Array(KeySchema.tagGeneration(tag).utf8), Array(generation.utf8)]
        }
        return RedisCommand(arguments: arguments)
    }

    /// Whether the script's reply says the body was stored.
    public static func stored(_ reply: RedisReply?) -> Bool { reply?.int == 1 }

    /// Whether the script's reply says a generation moved, so the guard refused the body: then it
    /// is the reason of the invalidation that moved it (empty if none was recorded).
    public static func refusal(_ reply: RedisReply?) -> String? {
        guard case .bulk(let reason)? = reply else { return nil }
        return String(decoding: reason, as: UTF8.self)
    }
}
