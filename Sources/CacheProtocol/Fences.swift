import CacheCore
import RedisClient

/// The near caches' coherence protocol in Redis: write fences, their answers, heartbeats and the
/// lease they renew (`docs/correctness.md`).
///
/// A writer publishes a fence after its deletions and, in the same script, lists the near caches
/// registered within `membership`. Each near cache empties itself and answers on the writer's
/// inbox; the writer waits for all of them, or for `lease` if some stay silent: a near cache
/// serves only within `lease` of a heartbeat that came back through its own subscription, and
/// Redis delivers a connection's messages in order, so a silent one has stopped serving by then.
public enum Fences {
    /// How long an echoed heartbeat keeps a near cache serving, and so the longest a write waits
    /// for a near cache that does not answer its fence.
    public static let lease: Duration = .milliseconds(500)

    /// How recently a near cache must have registered to be waited for. Any near cache that can
    /// still serve renewed its lease within the last `lease`, and registers at least every second;
    /// the window is wider so that a step of Redis's wall clock does not drop live ones.
    public static let membership: Duration = .seconds(5)

    /// Redis's clock in ms as `now`, so that no two servers' clocks are ever compared.
    static let redisNow = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

        """

    /// KEYS[1]: the near caches' sorted set; ARGV: fence channel, message, membership window in ms.
    static let publishScript =
        redisNow + """
            redis.call('PUBLISH', ARGV[1], ARGV[2])
            return redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[3]), '+inf')
            """

    /// Publishes a heartbeat and, if the inbox is still subscribed and ARGV[1] (a server id) is
    /// not empty, registers that near cache. Returns the number of subscribers (0: the inbox is gone).
    /// KEYS[1]: the near caches' sorted set; ARGV: server id or '', inbox channel, message.
    static let beatScript =
        redisNow + """
            local listeners = redis.call('PUBLISH', ARGV[2], ARGV[3])
            if listeners > 0 and ARGV[1] ~= '' then
              redis.call('ZADD', KEYS[1], now, ARGV[1])
              redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 60000)
            end
            return listeners
            """

    /// Publishes fence `sequence` of `writer`; the reply lists the near caches to wait for.
    public static func publish(_ schema: KeySchema, writer: String, sequence: UInt64) -> RedisCommand {
        RedisCommand(
            "EVAL", publishScript, "1", schema.nearCaches, schema.fences,
            FenceMessage.fence(writer: writer, sequence: sequence).payload, String(membership.wholeMilliseconds))
    }

    /// Heartbeat `sequence` to `server`'s own inbox; `registers` also lists its near cache as serving.
    public static func beat(_ schema: KeySchema, server: String, sequence: UInt64, registers: Bool) -> RedisCommand {
        RedisCommand(
            "EVAL", beatScript, "1", schema.nearCaches, registers ? server : "", schema.inbox(server),
            FenceMessage.beat(sequence: sequence).payload)
    }

    /// The answer to `writer`'s fence `sequence` from `server`'s near cache.
    public static func acknowledge(_ schema: KeySchema, writer: String, sequence: UInt64, server: String) -> RedisCommand {
        RedisCommand("PUBLISH", schema.inbox(writer), FenceMessage.ack(sequence: sequence, server: server).payload)
    }
}

/// A message of the fence protocol, as published on `KeySchema.fences` or an inbox.
public enum FenceMessage: Equatable, Sendable {
    /// On the fences channel, `{writer} {sequence}`: drop everything, then answer the writer.
    case fence(writer: String, sequence: UInt64)
    /// On the writer's inbox, `ack {sequence} {server}`: that near cache handled the fence.
    case ack(sequence: UInt64, server: String)
    /// On a server's own inbox, `beat {sequence}`: its heartbeat came back.
    case beat(sequence: UInt64)

    public var payload: String {
        switch self {
        case .fence(let writer, let sequence): "\(writer) \(sequence)"
        case .ack(let sequence, let server): "ack \(sequence) \(server)"
        case .beat(let sequence): "beat \(sequence)"
        }
    }

    /// A payload read on the fences channel; nil if malformed.
    public init?(fencePayload payload: String) {
        let words = payload.split(separator: " ").map(String.init)
        guard words.count == 2, let sequence = UInt64(words[1]) else { return nil }
        self = .fence(writer: words[0], sequence: sequence)
    }

    /// A payload read on an inbox; nil if malformed.
    public init?(inboxPayload payload: String) {
        let words = payload.split(separator: " ").map(String.init)
        switch (words.first, words.count) {
        case ("ack"?, 3):
            guard let sequence = UInt64(words[1]) else { return nil }
            self = .ack(sequence: sequence, server: words[2])
        case ("beat"?, 2):
            guard let sequence = UInt64(words[1]) else { return nil }
            self = .beat(sequence: sequence)
        default: return nil
        }
    }
}
