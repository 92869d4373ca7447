import CHiredis
import Glibc

/// One blocking hiredis connection. It owns its `redisContext` and frees it in `deinit`.
/// Not thread-safe: a connection lives on exactly one thread (see `RedisPipeline`).
public final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>

    /// Connects, then sets the read/write timeout (hiredis's connect timeout covers only
    /// the connect), authenticates and selects the database.
    public init(endpoint: RedisEndpoint, connectTimeout: Duration, ioTimeout: Duration) throws(RedisError) {
        let connectTV = Self.timeval(connectTimeout)
        let made: UnsafeMutablePointer<redisContext>? = switch endpoint.address {
        case .tcp(let host, let port): redisConnectWithTimeout(host, Int32(port), connectTV)
        case .unix(let path): redisConnectUnixWithTimeout(path, connectTV)
        }
        guard let made else { throw .unavailable("cannot allocate a connection") }
        if made.pointee.err != 0 {
            let reason = Self.errorText(made)
            redisFree(made)
            throw .unavailable("\(endpoint): \(reason)")
        }
        context = made
        redisSetTimeout(context, Self.timeval(ioTimeout))
        var setup: [RedisCommand] = []
        if let password = endpoint.password { setup.append(RedisCommand("AUTH", password)) }
        if endpoint.database != 0 { setup.append(RedisCommand("SELECT", String(endpoint.database))) }
        if !setup.isEmpty {
            for reply in try pipeline(setup) {
                if case .error(let message) = reply { throw .unavailable("\(endpoint): \(message)") }
            }
        }
    }

    deinit { redisFree(context) }

    /// Sends every command in one write, then reads one reply per command.
    /// Server errors come back as `.error` replies; a broken or timed-out socket throws,
    /// after which this connection is unusable and must be dropped.
    public func pipeline(_ commands: [RedisCommand]) throws(RedisError) -> [RedisReply] {
        for command in commands { append(command) }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == chiredis_ok(), let raw else {
                throw .connectionLost(Self.errorText(context))
            }
            let reply = raw.assumingMemoryBound(to: redisReply.self)
            replies.append(RedisReply(hiredis: reply))
            freeReplyObject(raw)  // the root only: it frees its children
        }
        return replies
    }

    private func append(_ command: RedisCommand) {
        command.withArgv { argc, argv, lengths in _ = redisAppendCommandArgv(context, argc, argv, lengths) }
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let text = String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            return text.isEmpty ? "connection closed" : text
        }
    }

    private static func timeval(_ duration: Duration) -> Glibc.timeval {
        let micros = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        return Glibc.timeval(tv_sec: Int(micros / 1_000_000), tv_usec: Int(micros % 1_000_000))
    }
}
