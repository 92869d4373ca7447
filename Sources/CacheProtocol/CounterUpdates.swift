import CacheCore
import RedisClient

/// How counter deltas reach the shared hashes: HINCRBY inside one MULTI/EXEC, so a batch counts
/// once or not at all, and servers sharing a Redis add up.
public struct CounterUpdates: Sendable {
    /// How long a key's counters outlive its last update.
    static let keyCountersLifetimeMs = "86400000"

    public let schema: KeySchema

    public init(schema: KeySchema) { self.schema = schema }

    /// The transaction that adds `batch`'s route and key counts.
    public func transaction(for batch: EventBatch) -> [RedisCommand] {
        var commands = [RedisCommand("MULTI")]
        for (route, counts) in batch.routes.sorted(by: { $0.key < $1.key }) {
            commands += increments(schema.route(route), counts)
        }
        if !batch.routes.isEmpty {
            commands.append(RedisCommand(["SADD", schema.routes] + batch.routes.keys.sorted()))
        }
        for (key, counts) in batch.keys {
            let hash = schema.key(key)
            commands += increments(hash, counts)
            commands.append(RedisCommand("PEXPIRE", hash, Self.keyCountersLifetimeMs))
        }
        commands.append(RedisCommand("EXEC"))
        return commands
    }

    /// One route's counters from an `HGETALL` of `schema.route(route)`.
    public static func counts(from reply: RedisReply) -> RouteCounts {
        var counts = RouteCounts()
        for (name, value) in reply.fieldPairs {
            if let field = CounterField(name: name) { counts[field] = Int(value) ?? 0 }
        }
        return counts
    }

    private func increments(_ hash: String, _ counts: RouteCounts) -> [RedisCommand] {
        CounterField.allCases.compactMap { field in
            counts[field] == 0 ? nil : RedisCommand("HINCRBY", hash, field.name, String(counts[field]))
        }
    }
}
