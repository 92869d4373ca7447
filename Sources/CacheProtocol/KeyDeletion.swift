import CacheCore
import RedisClient

/// Deletes cache entries by glob pattern the way every writer must, so that fills in flight
/// elsewhere cannot write stale data back: first bump the generation the pattern covers
/// (fills compare it atomically before storing), then delete with UNLINK, walking the
/// keyspace with SCAN for patterns (never KEYS). Shared by the server and the dashboard.
public struct KeyDeletion: Sendable {
    public let redis: RedisPipeline
    public let schema: KeySchema

    public init(redis: RedisPipeline, schema: KeySchema) {
        self.redis = redis
        self.schema = schema
    }

    /// Returns the number of keys deleted; throws if Redis failed or `until` passed first.
    public func delete(_ pattern: String, until: ContinuousClock.Instant) async throws -> Int {
        try await redis.call("HINCRBY", schema.generations, Self.generationField(for: pattern), "1")
        if !Glob.hasWildcards(pattern) {
            return try await redis.send(RedisCommand("UNLINK", Glob.literalPrefix(pattern))).orThrow().int ?? 0
        }
        var deleted = 0
        try await scan(pattern, until: until) { keys in
            deleted += try await redis.send(RedisCommand(["UNLINK"] + keys)).orThrow().int ?? 0
        }
        return deleted
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
