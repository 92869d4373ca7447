import CacheCore
import CacheProtocol
import Foundation
import RedisClient
import ServiceLifecycle
import Synchronization

/// Announces this server in Redis every second (`ServerPresence`), so that `cachescope watch`
/// finds the servers it can send re-warms and demo load to, and shows whose near cache is on.
/// The hash expires when renewals stop; on shutdown it is removed at once. Each renewal also
/// drops ids not seen for a minute from the sorted set, so crashed servers do not pile up.
public final class PresenceBeacon: Service, Sendable {
    let announcements: Announcements
    let redis: RedisPipeline
    let serverID: String
    let near: NearCache?
    let admin: ServerPresence.Admin
    let routes: [RouteAnnouncement]
    let startedMs = Int64(Date().timeIntervalSince1970 * 1000)
    /// Set once the HTTP server is listening (the port may have been 0).
    private let url = Mutex<String?>(nil)
    let interval: Duration

    init(
        announcements: Announcements, redis: RedisPipeline, serverID: String, near: NearCache?, admin: ServerPresence.Admin,
        routes: [RouteAnnouncement], interval: Duration = .seconds(1)
    ) {
        self.announcements = announcements
        self.redis = redis
        self.serverID = serverID
        self.near = near
        self.admin = admin
        self.routes = routes
        self.interval = interval
    }

    /// Starts the announcements, once the server listens (the port asked for may have been 0).
    func listening(host: String, port: Int) {
        let url = ServerPresence.url(host: host, port: port, wildcardHost: ProcessInfo.processInfo.hostName)
        self.url.withLock { $0 = url }
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await announce()
            try? await Task.sleep(for: interval)
        }
        _ = try? await redis.send(announcements.withdraw(serverID))
    }

    func announce() async {
        guard let url = url.withLock({ $0 }) else { return }
        let presence = ServerPresence(
            id: serverID, url: url, nearCacheMs: near.map { $0.maxAge.wholeMilliseconds } ?? 0,
            nearCacheActive: near?.isServing ?? false, startedMs: startedMs, routes: routes, admin: admin)
        _ = try? await redis.send(announcements.announce(presence, nowMs: Int64(Date().timeIntervalSince1970 * 1000)))
    }
}
