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

    /// A bad `--redis` or `REDIS_URL` is a `ConfigurationError` naming it.
    public static func resolve(flag: String?, logger: Logger) async throws -> RedisChoice {
        if let url = flag ?? ProcessInfo.processInfo.environment["REDIS_URL"] {
            do {
                return RedisChoice(endpoint: try RedisEndpoint(url: url), embedded: nil)
            } catch {
                throw ConfigurationError(flag: "--redis (or REDIS_URL)", problem: "\(error)")
            }
        }
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
