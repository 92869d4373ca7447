import CacheCore
import RedisClient

/// What an invalidation deletes: the keys a glob pattern matches (an exact key is a pattern
/// without wildcards), or the keys filled with a tag.
public enum DeletionTarget: Sendable, Equatable, CustomStringConvertible {
    case pattern(String)
    case tag(String)

    /// As recorded in `invalidate` events: the pattern, or `tag:{name}`.
    public var description: String {
        switch self {
        case .pattern(let pattern): pattern
        case .tag(let tag): KeySchema.tagGeneration(tag)
        }
    }
}

/// Deletes cache entries the way every writer must, so that fills in flight elsewhere cannot
/// write stale data back: first bump the generation the target covers (fills compare it
/// atomically before storing), then delete with UNLINK: for a pattern walking the keyspace with
/// SCAN (never KEYS), for a tag only the keys in its set, so its cost is bounded by what it
/// deletes. Shared by the server and the dashboard.
public struct KeyDeletion: Sendable {
    /// Deletes every key of a tag's set, and the set, in one step: no fill can add a key to it
    /// between the read and the delete. KEYS[1]: the tag's set; ARGV as `luaUnlinkAndRecord`.
    static let tagScript = """
        local deleted = 0
        for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          \(KeyHistory.luaUnlinkAndRecord)
        end
        redis.call('DEL', KEYS[1])
        return deleted
        """

    /// Deletes the keys given, recording the invalidation in each one's history. KEYS: the keys.
    static let keysScript = """
        local deleted = 0
        for _, key in ipairs(KEYS) do
          \(KeyHistory.luaUnlinkAndRecord)
        end
        return deleted
        """

    public let redis: RedisPipeline
    public let schema: KeySchema

    public init(redis: RedisPipeline, schema: KeySchema) {
        self.redis = redis
        self.schema = schema
    }

    /// Returns the number of keys deleted; throws if Redis failed or `until` passed first. `reason`
    /// (like `POST /products`) is kept in each deleted key's history, for its next miss to name.
    public func delete(_ target: DeletionTarget, reason: String, until: ContinuousClock.Instant) async throws -> Int {
        switch target {
        case .pattern(let pattern): return try await delete(pattern, reason: reason, until: until)
        case .tag(let tag):
            try await bump(KeySchema.tagGeneration(tag), reason: reason)
            return try await run(Self.tagScript, keys: [schema.tag(tag)], reason: reason)
        }
    }

    /// Returns the number of keys deleted; throws if Redis failed or `until` passed first.
    public func delete(_ pattern: String, reason: String, until: ContinuousClock.Instant) async throws -> Int {
        try await bump(Self.generationField(for: pattern), reason: reason)
        if !Glob.hasWildcards(pattern) {
            return try await run(Self.keysScript, keys: [Glob.literalPrefix(pattern)], reason: reason)
        }
        var deleted = 0
        try await scan(pattern, until: until) { keys in
            deleted += try await run(Self.keysScript, keys: keys, reason: reason)
        }
        return deleted
    }

    /// After a failover the new master may lack generation bumps that fills in flight read from the
    /// old one: the global generation jumps to at least `nowMs`, past any value read before (bumps
    /// count up by one from far below), so none of those fills is stored.
    public func bumpGlobalPastFailover(nowMs: Int64, reason: String) async throws {
        let script = """
            local current = tonumber(redis.call('HGET', KEYS[1], '\(KeySchema.allGroups)') or '0')
            if current < tonumber(ARGV[1]) then
              redis.call('HSET', KEYS[1], '\(KeySchema.allGroups)', ARGV[1])
            else
              redis.call('HINCRBY', KEYS[1], '\(KeySchema.allGroups)', 1)
            end
            redis.call('HSET', KEYS[1], '\(KeySchema.reasonPrefix + KeySchema.allGroups)', ARGV[2])
            return 1
            """
        _ = try await redis.send(RedisCommand("EVAL", script, "1", schema.generations, String(nowMs), reason)).orThrow()
    }

    /// Bumps a generation (before anything is deleted) and records the reason beside it.
    private func bump(_ field: String, reason: String) async throws {
        let replies = try await redis.send([
            RedisCommand("HINCRBY", schema.generations, field, "1"),
            RedisCommand("HSET", schema.generations, KeySchema.reasonPrefix + field, reason),
        ])
        for reply in replies { _ = try reply.orThrow() }
    }

    private func run(_ script: String, keys: [String], reason: String) async throws -> Int {
        let command = RedisCommand(["EVAL", script, String(keys.count)] + keys + [schema.keyCountersPrefix, reason])
        return try await redis.send(command).orThrow().int ?? 0
    }

    /// How many keys match, by SCAN, for a confirmation prompt.
    public func count(_ pattern: String, until: ContinuousClock.Instant) async throws -> Int {
        var total = 0
        try await scan(pattern, until: until) { total += $0.count }
        return total
    }

    private func scan(_ pattern: String, until: ContinuousClock.Instant, page: ([String]) async throws -> Void) async throws {
        var cursor = "0"
        repeat {
            guard ContinuousClock.now < until else { throw RedisError.timedOut }
            let reply = try await redis.send(RedisCommand("SCAN", cursor, "MATCH", pattern, "COUNT", "1000")).orThrow().elements
            guard reply.count == 2 else { throw ServerError(message: "unexpected SCAN reply") }
            cursor = reply[0].string ?? "0"
            let keys = reply[1].elements.compactMap(\.string)
            if !keys.isEmpty { try await page(keys) }
        } while cursor != "0"
    }

    /// The generation field an invalidation of `pattern` bumps: the key group (`{prefix}:/{path}`)
    /// for a literal key or a `group:*` pattern, else `*`, which every fill checks too.
    public static func generationField(for pattern: String) -> String {
        let literal = Glob.literalPrefix(pattern)
        if !Glob.hasWildcards(pattern) {
            return CacheKey.group(ofKey: literal) ?? KeySchema.allGroups
        }
        let group = String(literal.dropLast())
        if pattern == Glob.escape(literal) + "*", literal.hasSuffix(":"), group.contains(":/") {
            return group
        }
        return KeySchema.allGroups
    }
}
