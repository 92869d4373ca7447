import CacheCore
import CacheProtocol
import Dashboard
import Foundation
import RedisClient

/// Reads one refresh worth of data from Redis in two pipelines (`PollState` decides what and
/// reads the answers). Its cost is bounded by the screen, not by DBSIZE: one SCAN page, the newest
/// stream entries, the route counters, and PTTL/size/counters only for the keys on screen and a
/// rotating page of off-screen TTLs.
public final class RedisPoller: @unchecked Sendable {
    private let redis: RedisPipeline
    /// Touched only by the one poll in flight at a time.
    private var state: PollState

    public init(redis: RedisPipeline, schema: KeySchema = KeySchema(), eventsKey: String, prefixes: [String]) {
        self.redis = redis
        state = PollState(schema: schema, eventsKey: eventsKey, prefixes: prefixes)
    }

    /// Reads made so far that Redis counted as keyspace hits and misses.
    public var ownReads: (hits: Int, misses: Int) { (state.ownHits, state.ownMisses) }

    /// `trackedKeys` (sorted) are all the keys the table knows: a page of those off screen gets a `PTTL`.
    /// The endpoint as configured; through Sentinel, the master it answered from, which changes on a failover.
    var shownAddress: String {
        guard case .sentinel(let group) = redis.endpoint.address, let master = redis.connectedAddress else {
            return "\(redis.endpoint)"
        }
        return "\(master) (master '\(group.master)' via sentinel)"
    }

    /// `inspected`: the key of the open detail pane, read in full.
    public func poll(
        visibleKeys: [String], trackedKeys: [String] = [], inspected: String? = nil, nowMs: Int64
    ) async throws -> PollResult {
        let overview = state.readOverview(try await redis.send(state.overviewCommands()))
        let spotChecked = state.nextSpotCheck(trackedKeys, excluding: Set(visibleKeys))
        let replies = try await redis.send(
            state.detailCommands(overview, visibleKeys: visibleKeys, spotChecked: spotChecked, inspected: inspected))
        return state.readDetails(
            replies, overview: overview, visibleKeys: visibleKeys, spotChecked: spotChecked, address: shownAddress,
            nowMs: nowMs, inspected: inspected)
    }
}
