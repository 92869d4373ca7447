import CacheCore
import CacheProtocol
import Foundation
import RedisClient
import ServiceLifecycle

/// Publishes the origin loads this server has in flight (`InFlightLoads`) ten times a second, and
/// only when they changed, so dashboards can show a stampede as it happens. Off the request path:
/// it reads the single-flight table the requests already keep.
struct InFlightPublisher: Service {
    let flights: SingleFlight<Fill>
    let redis: RedisPipeline
    let loads: InFlightLoads
    let serverID: String
    var interval: Duration = .milliseconds(100)

    func run() async throws {
        var published: [InFlightLoad] = []
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let now = ContinuousClock.now, nowMs = Int64((Date().timeIntervalSince1970 * 1000).rounded())
            let current = flights.loads.map { load in
                InFlightLoad(
                    key: load.key, server: serverID, startedMs: nowMs - Int64((now - load.started).wholeMilliseconds),
                    waiters: load.waiters)
            }
            // Start times are rebuilt from two clocks each time: compare what a reader would see change.
            guard current.map(\.key) != published.map(\.key) || current.map(\.waiters) != published.map(\.waiters)
            else { continue }
            if (try? await redis.send(loads.publish(current, server: serverID))) != nil { published = current }
        }
        _ = try? await redis.send(loads.publish([], server: serverID))
    }
}
