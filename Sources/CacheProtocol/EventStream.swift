import CacheCore
import RedisClient

/// The capped Redis stream of cache events: the one place that writes (`XADD`) and reads its
/// entries, for servers, dashboards and any other app that emits or reads them.
public struct EventStream: Sendable, Equatable {
    public let key: String
    /// Entries kept, approximately (`MAXLEN ~`).
    public let maxLength: Int

    public init(key: String, maxLength: Int = 10_000) {
        self.key = key
        self.maxLength = maxLength
    }

    /// One `XADD` of `event`.
    public func append(_ event: CacheEvent) -> RedisCommand {
        RedisCommand(["XADD", key, "MAXLEN", "~", String(maxLength), "*"] + event.streamFields.flatMap { [$0.0, $0.1] })
    }

    /// The event in one entry of an `XRANGE`/`XREVRANGE` reply; nil if it is not one of ours.
    public static func event(inEntry entry: RedisReply) -> CacheEvent? {
        let pair = entry.elements
        guard pair.count == 2 else { return nil }
        return CacheEvent(streamFields: pair[1].fieldPairs)
    }
}

extension RedisReply {
    /// A flat name, value, name, value… reply (HGETALL, a stream entry) as a dictionary.
    public var fieldPairs: [String: String] {
        let flat = elements.compactMap(\.string)
        var fields: [String: String] = [:]
        for index in stride(from: 0, to: flat.count - 1, by: 2) { fields[flat[index]] = flat[index + 1] }
        return fields
    }
}
