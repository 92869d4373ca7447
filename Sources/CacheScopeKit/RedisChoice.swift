import Foundation
import Logging
import RedisClient

/// Which Redis to use: the flag, else $REDIS_URL, else a local one on 6379 if it answers,
/// else a private embedded redis-server (stopped on exit).
public struct RedisChoice: Sendable {
    public let endpoint: RedisEndpoint
    let embedded: EmbeddedRedis?

    public var mode: String { embedded == nil ? "attached" : "embedded" }

    /// Runs `body`; an embedded redis-server is stopped however it ends, errors included.
    public func whileRunning<T>(_ body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            await embedded?.stop()
            return result
        } catch {
            await embedded?.stop()
            throw error
        }
    }

    /// The endpoint of a `--redis` URL, else of `$REDIS_URL`; nil if neither is set. A bad one is a
    /// `ConfigurationError` naming it.
    public static func endpoint(flag: String?) throws(ConfigurationError) -> RedisEndpoint? {
        guard let url = flag ?? ProcessInfo.processInfo.environment["REDIS_URL"] else { return nil }
        do {
            return try RedisEndpoint(url: url)
        } catch {
            throw ConfigurationError(flag: "--redis (or REDIS_URL)", problem: "\(error)")
        }
    }

    /// The endpoint given, checked (`verified`); without one, a local Redis or an embedded one.
    public static func resolve(endpoint: RedisEndpoint?, logger: Logger) async throws -> RedisChoice {
        if let endpoint { return RedisChoice(endpoint: try await endpoint.verified(logger: logger), embedded: nil) }
        let local = RedisEndpoint(address: .tcp(host: "127.0.0.1", port: 6379))
        if await EmbeddedRedis.answers(local) {
            logger.info("using the Redis that answers on 127.0.0.1:6379")
            return RedisChoice(endpoint: local, embedded: nil)
        }
        guard EmbeddedRedis.locateServer() != nil else { throw EmbeddedRedis.NotInstalled() }
        let embedded = EmbeddedRedis(listen: try await EmbeddedRedis.privateSocket())
        try await embedded.start()
        logger.info("started an embedded redis-server (no persistence)", metadata: ["address": "\(embedded.endpoint)"])
        return RedisChoice(endpoint: embedded.endpoint, embedded: embedded)
    }
}

extension RedisEndpoint {
    /// Connects once before anything else does. Settings Redis refuses (a wrong password or user, a
    /// certificate that does not verify, TLS against a plain port) are a `ConfigurationError` naming
    /// the flag to change; a Redis that does not answer is only logged: a server starts and serves
    /// `BYPASS` until it does, a dashboard shows it down.
    public func verified(logger: Logger) async throws -> RedisEndpoint {
        if let tls, !tls.verify {
            logger.warning("--redis-tls-insecure: the Redis server's certificate is NOT verified; use this for tests only")
        }
        let probe = RedisPipeline(
            endpoint: self, name: "start-up check", options: .init(ioTimeout: .seconds(3), connectTimeout: .seconds(3)))
        defer { probe.stop() }
        do {
            _ = try await probe.send(RedisCommand("PING"))
            return self
        } catch let error as RedisError {
            switch error.cause {
            case .credentials:
                throw ConfigurationError(flag: "--redis", problem: "\(error); check the user and password in the URL")
            case .tls: throw ConfigurationError(flag: Self.flag(forTLSFailure: "\(error)", tls: tls), problem: "\(error)")
            case .unreachable, .other:
                logger.warning(
                    "Redis does not answer yet; going on and retrying (a server answers from its origin, X-Cache: BYPASS, meanwhile)",
                    metadata: ["redis": "\(self)", "error": "\(error)"])
                return self
            }
        }
    }

    /// Which flag a failed handshake points to: a plain port answers garbage (`--redis`: use
    /// redis://), a server that wants a client certificate says so (`--redis-cert`), anything else is
    /// a server certificate this CA does not verify (`--redis-ca`).
    static func flag(forTLSFailure text: String, tls: RedisTLS?) -> String {
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("PACKET_LENGTH_TOO_LONG") { return "--redis" }
        if tls?.certificateFile == nil, text.contains("CERTIFICATE_REQUIRED") || text.contains("certificate required") {
            return "--redis-cert"
        }
        return "--redis-ca"
    }
}
