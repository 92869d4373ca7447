import CacheCore
import RedisClient

/// The origin loads a server has in flight, as it publishes them for dashboards (the Loads view):
/// what it writes and how a reader decodes it.
public struct InFlightLoads: Sendable, Equatable {
    /// How long the hash outlives its last write: a server that died leaves nothing for long.
    static let lifetimeMs = "2000"

    public let schema: KeySchema
    public init(schema: KeySchema) { self.schema = schema }

    /// Replaces `server`'s hash with `loads` (an empty list deletes it), in one `MULTI`/`EXEC`.
    public func publish(_ loads: [InFlightLoad], server: String) -> [RedisCommand] {
        let hash = schema.loads(server)
        guard !loads.isEmpty else { return [RedisCommand("DEL", hash)] }
        let fields = loads.flatMap { [$0.key, "\($0.startedMs) \($0.waiters)"] }
        return [
            RedisCommand("MULTI"), RedisCommand("DEL", hash), RedisCommand(["HSET", hash] + fields),
            RedisCommand("PEXPIRE", hash, Self.lifetimeMs), RedisCommand("EXEC"),
        ]
    }

    /// The loads in an `HGETALL` of `schema.loads(server)`.
    public static func loads(from reply: RedisReply, server: String) -> [InFlightLoad] {
        reply.fieldPairs.compactMap { key, value in
            let parts = value.split(separator: " ")
            guard parts.count == 2, let started = Int64(parts[0]), let waiters = Int(parts[1]) else { return nil }
            return InFlightLoad(key: key, server: server, startedMs: started, waiters: waiters)
        }.sorted { $0.startedMs < $1.startedMs }
    }
}
