import CacheCore
import RedisClient

/// The write that stores a loaded body only if no invalidation came while it loaded.
///
/// A fill first reads the generations of its key's group and the global one
/// (`readGenerations`); an invalidation bumps them before it deletes (`KeyDeletion`). The
/// store script compares them atomically: so either the invalidation sees the entry and deletes
/// it, or the fill sees the new generation and stores nothing. It also records which request
/// fills the key, so any server can re-warm it.
public struct GuardedFill: Sendable {
    /// The generations a fill read before loading, in the order the script compares them.
    public struct Generations: Sendable, Equatable {
        public let group: String
        public let global: String

        /// Loads that started with the same generations may share one origin fetch.
        public var version: String { "\(group),\(global)" }
    }

    static let script = """
        local gens = redis.call('HMGET', KEYS[2], ARGV[3], '*')
        if (gens[1] or '0') == ARGV[4] and (gens[2] or '0') == ARGV[5] then
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          redis.call('HSET', KEYS[3], 'request', ARGV[6])
          return 1
        end
        return 0
        """

    public let schema: KeySchema

    public init(schema: KeySchema) { self.schema = schema }

    /// `HMGET` of the key's group generation and the global one.
    public func readGenerations(of key: CacheKey) -> RedisCommand {
        RedisCommand("HMGET", schema.generations, key.group, KeySchema.allGroups)
    }

    /// The generations in a `readGenerations` reply; nil if the reply is not one.
    public func generations(from reply: RedisReply) -> Generations? {
        let values = reply.elements.map { $0.string ?? "0" }
        return values.count == 2 ? Generations(group: values[0], global: values[1]) : nil
    }

    /// The script call that stores `body` for `ttlMs` unless the generations moved.
    public func store(_ body: [UInt8], for key: CacheKey, ttlMs: Int, generations: Generations) -> RedisCommand {
        let name = key.description
        return RedisCommand(arguments: [
            Array("EVAL".utf8), Array(Self.script.utf8), Array("3".utf8),
            Array(name.utf8), Array(schema.generations.utf8), Array(schema.key(name).utf8),
            body, Array(String(ttlMs).utf8), Array(key.group.utf8),
            Array(generations.group.utf8), Array(generations.global.utf8),
            Array(key.request.utf8),
        ])
    }

    /// Whether the script's reply says the body was stored.
    public static func stored(_ reply: RedisReply?) -> Bool { reply?.int == 1 }
}
