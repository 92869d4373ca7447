import Logging
import RedisClient
import ServiceLifecycle

/// Keeps the near cache's invalidation channel open: one Redis connection that asks for
/// broadcast tracking of the cache prefix, redirected to itself, and subscribes to the
/// invalidation channel. The near cache is enabled only once that subscription is confirmed,
/// and disabled (emptied) the moment the connection drops; then it subscribes again.
public struct NearCacheTracker: Service {
    static let channel = "__redis__:invalidate"

    let cache: NearCache
    let redis: RedisPipeline
    let prefix: String
    let logger: Logger

    init(cache: NearCache, redis: RedisPipeline, prefix: String, logger: Logger) {
        self.cache = cache
        self.redis = redis
        self.prefix = prefix
        self.logger = logger
        redis.onPush { [cache] message in Self.handle(message, cache: cache) }
        redis.onStateChange { [cache] up in if !up { cache.setEnabled(false) } }
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if !cache.isEnabled || !redis.isUp { await subscribe() }
            try? await Task.sleep(for: .milliseconds(250))
        }
        redis.stop()
    }

    /// `CLIENT TRACKING on REDIRECT <own id> BCAST PREFIX <prefix>:`, then SUBSCRIBE; nothing
    /// is sent on this connection afterwards, so every later reply is an invalidation.
    private func subscribe() async {
        do {
            guard let id = try await redis.call("CLIENT", "ID").int else { return }
            let replies = try await redis.send([
                RedisCommand("CLIENT", "TRACKING", "on", "REDIRECT", String(id), "BCAST", "PREFIX", "\(prefix):"),
                RedisCommand("SUBSCRIBE", Self.channel),
            ])
            guard replies.count == 2, !replies[0].isError, replies[1].elements.first?.string == "subscribe" else {
                logger.warning("near cache stays off: Redis refused tracking", metadata: ["reply": "\(replies)"])
                return
            }
            cache.setEnabled(true)
            // The connection may have dropped while this task was resuming: its handler's
            // `setEnabled(false)` would then have come first. Nothing reconnects it but this task.
            if !redis.isUp {
                cache.setEnabled(false)
                return
            }
            logger.info("near cache on: Redis sends invalidations for \(prefix):*")
        } catch {
            logger.debug("near cache waits for Redis", metadata: ["error": "\(error)"])
        }
    }

    /// `["message", "__redis__:invalidate", [keys]]`; a null key list means FLUSHDB/FLUSHALL.
    static func handle(_ message: RedisReply, cache: NearCache) {
        let parts = message.elements
        guard parts.count == 3, parts[0].string == "message", parts[1].string == channel else { return }
        if case .array(let keys) = parts[2] {
            cache.invalidate(keys.compactMap(\.string))
        } else {
            cache.flush()
        }
    }
}
