import CacheCore
import CacheProtocol
import Foundation
import RedisClient
import Synchronization

/// How a response was produced, as sent in `X-Cache`.
public enum CacheStatus: String, Sendable {
    case hit = "HIT", stale = "STALE", miss = "MISS", bypass = "BYPASS"
}

/// What a cached route answers: the response, how it was produced, and for a `STALE` one its age.
public struct CacheAnswer: Sendable {
    public let response: OriginResponse
    public let status: CacheStatus
    /// Seconds since the entry was filled (`Age`), for a `STALE` answer.
    public let ageSeconds: Int?

    init(_ response: OriginResponse, _ status: CacheStatus, ageSeconds: Int? = nil) {
        self.response = response
        self.status = status
        self.ageSeconds = ageSeconds
    }
}

/// The result of one origin load, shared by every request that waited for it.
public struct Fill: Sendable {
    public let response: OriginResponse
    /// Whether the guarded write stored it (false for a status the policy does not keep, a moved
    /// generation, or Redis trouble).
    public let stored: Bool
    /// The other server whose load this one waited for (fleet-wide single-flight), if any.
    public var loadedBy: String? = nil
}

/// Why one lookup missed, as its key's history in Redis says, with the invalidation's reason.
struct MissExplanation: Sendable {
    let cause: MissCause
    let reason: String?
}

/// The cache-aside read path: look in Redis, else load once per key (single-flight) and
/// store the result with a guarded write that an invalidation since the load began refuses.
public final class ResponseCache: Sendable {
    /// The request path's connection: it gives up within the request budget (50 ms).
    private let redis: RedisPipeline
    /// Warming is no request anyone waits on: it may wait for Redis as long as writes do.
    private let warmingRedis: RedisPipeline
    private let fill: GuardedFill
    private let recorder: EventRecorder
    public let flights = SingleFlight<Fill>()
    let pending: PendingInvalidations
    /// The in-process layer in front of Redis, when `--near-cache` is on.
    public let near: NearCache?
    /// Keys this server is refreshing now, so that its other stale reads send no lease request.
    private let refreshing = Mutex<Set<String>>([])
    /// How long a load may take before the request is answered 503 (and nothing is stored).
    let originTimeout: Duration
    /// Raised while Redis refuses writes for memory: the cause a bypass then names.
    let memory: RedisMemoryAlarm
    /// Told the outcome of every load.
    public let origin: OriginHealth

    init(
        redis: RedisPipeline, warmingRedis: RedisPipeline, fill: GuardedFill, recorder: EventRecorder,
        pending: PendingInvalidations, near: NearCache?, originTimeout: Duration, memory: RedisMemoryAlarm,
        origin: OriginHealth
    ) {
        self.originTimeout = originTimeout
        self.memory = memory
        self.origin = origin
        self.redis = redis
        self.warmingRedis = warmingRedis
        self.fill = fill
        self.recorder = recorder
        self.pending = pending
        self.near = near
    }

    /// Answers a cacheable request. Redis trouble never fails it: the origin answers instead (`BYPASS`).
    /// An entry past its TTL but within the route's grace is answered at once (`STALE`) while one
    /// server of the fleet refreshes it; with early refresh on, a fresh one near its end may be
    /// refreshed the same way (XFetch).
    public func fetch(_ request: CacheableRequest) async throws -> CacheAnswer {
        let started = ContinuousClock.now
        let key = request.key.description
        let route = request.policy.route
        func hit(_ entry: (status: Int, body: [UInt8])) -> CacheAnswer {
            recorder.record(
                .hit, key: key, route: route, latency: .now - started, status: entry.status == 200 ? nil : entry.status)
            return CacheAnswer(OriginResponse(status: entry.status, body: entry.body), .hit)
        }
        // While an invalidation has not reached Redis, entries there may be stale: bypass.
        guard pending.isEmpty else {
            return try await bypass(request, cause: memory.isRaised ? .redisOOM : .pendingInvalidation, started: started)
        }
        if let stored = near?.body(for: key) { return hit(CacheEntry.decode(stored)) }
        let ticket = near?.readStarted()
        let graceMs = request.policy.graceMs
        let early = request.policy.earlyRefresh
        // The near cache keeps a copy no longer than Redis does, and grace and early refresh need to
        // know what is left; early refresh also needs how long the last load took.
        let needsTTL = ticket != nil || graceMs > 0 || early != nil
        var read = [RedisCommand("GET", key)]
        if needsTTL { read.append(RedisCommand("PTTL", key)) }
        if early != nil { read.append(KeyHistory.readLoadTime(of: key, schema: fill.schema)) }
        guard let replies = try? await redis.send(read) else {
            return try await bypass(request, cause: .redisDown, started: started)
        }
        guard case .bulk(let stored) = replies[0] else {
            let (fill, shared, explanation) = try await load(request, recording: .fill, via: redis)
            recorder.record(
                shared || fill.loadedBy != nil ? .coalesced : .miss, key: key, route: route, latency: .now - started,
                loader: fill.loadedBy, cause: explanation?.cause.rawValue, reason: explanation?.reason)
            return CacheAnswer(fill.response, .miss)
        }
        let entry = CacheEntry.decode(stored)
        // -1: no expiry; only 200s are kept past their TTL.
        let left = needsTTL ? replies[1].int.flatMap { $0 >= 0 ? $0 : nil } : nil
        let grace = entry.status == 200 ? graceMs : 0
        if let left, left <= grace {
            refreshInBackground(request)
            recorder.record(.stale, key: key, route: route, latency: .now - started)
            let age = (request.policy.ttlMilliseconds(random: 0) + grace - left) / 1000
            return CacheAnswer(OriginResponse(status: 200, body: entry.body), .stale, ageSeconds: max(0, age))
        }
        if let early, let left, let loadTime = KeyHistory.loadTime(from: replies[2]),
            early.shouldRefresh(
                now: .zero, expiry: .milliseconds(left - grace), loadTime: loadTime,
                random: Double.random(in: 0...1))
        {
            refreshInBackground(request)
        }
        if let ticket {
            near?.store(stored, for: key, ticket: ticket, redisTTL: left.map { .milliseconds($0 - grace) })
        }
        return hit(entry)
    }

    /// Answers from the origin without the cache, and records why.
    private func bypass(
        _ request: CacheableRequest, cause: BypassCause, started: ContinuousClock.Instant
    ) async throws
        -> CacheAnswer
    {
        let response = try await origin(request)
        recorder.record(
            .bypass, key: request.key.description, route: request.policy.route, latency: .now - started,
            cause: cause.rawValue)
        return CacheAnswer(response, .bypass)
    }

    /// One refresh of a stale entry across the fleet: the server that takes the lease (`SET NX PX`,
    /// for twice the origin timeout, so a server that dies holding it delays the next refresh no
    /// longer) loads it through the guarded fill; the others keep answering `STALE`. Off the request path.
    private func refreshInBackground(_ request: CacheableRequest) {
        let key = request.key.description
        guard refreshing.withLock({ $0.insert(key).inserted }) else { return }
        let lease = fill.schema.refreshLease(key)
        let leaseMs = String((originTimeout * 2).wholeMilliseconds)
        Task {
            defer { refreshing.withLock { _ = $0.remove(key) } }
            let taken = try? await warmingRedis.send(RedisCommand("SET", lease, recorder.serverID, "NX", "PX", leaseMs))
            guard taken == .status("OK") else { return }
            _ = try? await load(request, recording: .refresh, via: warmingRedis)
            _ = try? await warmingRedis.send(RedisCommand("DEL", lease))
        }
    }

    public enum WarmResult: Equatable, Sendable {
        case stored(took: Duration), alreadyWarm, notStored, redisUnavailable
    }

    /// Fills the entry through the same path as a miss, unless it is already there.
    public func warm(_ request: CacheableRequest) async throws -> WarmResult {
        let key = request.key.description
        guard pending.isEmpty, let exists = try? await warmingRedis.send(RedisCommand("EXISTS", key)).int else {
            return .redisUnavailable
        }
        if exists == 1 { return .alreadyWarm }
        let started = ContinuousClock.now
        let (fill, _, _) = try await load(request, recording: .warm, via: warmingRedis)
        return fill.stored ? .stored(took: .now - started) : .notStored
    }

    /// One origin load per key and invalidation generation. The generations are read first, so
    /// a request that starts after an invalidation (by any server: it bumps them in Redis before
    /// it deletes) never joins a load that began before it, and the fill's guarded write refuses
    /// to store what such a load returns. A request's miss (`outcome` `.fill`) reads why it missed
    /// in the same round trip.
    private func load(
        _ request: CacheableRequest, recording outcome: CacheOutcome, via redis: RedisPipeline
    ) async throws -> (Fill, shared: Bool, MissExplanation?) {
        let key = request.key.description
        var reads = [fill.readGenerations(of: request.key, tags: request.tags)]
        if outcome == .fill { reads.append(KeyHistory.readCause(of: key, schema: fill.schema)) }
        let replies = try? await redis.send(reads)
        let generations = replies.flatMap { fill.generations(from: $0[0], tags: request.tags.count) }
        let explanation = replies.flatMap { $0.count > 1 ? KeyHistory.cause(from: $0[1]) : nil }.map {
            MissExplanation(cause: $0.cause, reason: $0.reason)
        }
        let (loaded, shared) = try await flights.run(key, version: generations?.version) {
            guard outcome == .fill, generations != nil else {
                return try await self.loadAndStore(request, generations: generations, recording: outcome, via: redis)
            }
            return try await self.loadOncePerFleet(request, generations: generations, via: redis)
        }
        return (loaded, shared, explanation)
    }

    /// Fleet-wide single-flight for a miss: the server that takes the key's fill lease (`SET NX PX`,
    /// twice the origin timeout) loads it; the others poll every 20 ms for its fill and answer with
    /// it, and load themselves once the lease is gone without a fill (a refused or failed load) or
    /// has run out (its holder died). `SET … NX GET` answers nil when it took the lease and the
    /// holder's id when another server has it; Redis trouble (or a Redis before 7.0, which refuses
    /// NX with GET): load here, as without the lease.
    private func loadOncePerFleet(
        _ request: CacheableRequest, generations: GuardedFill.Generations?, via redis: RedisPipeline
    ) async throws -> Fill {
        let key = request.key.description
        let lease = fill.schema.fillLease(key)
        let leaseTime = originTimeout * 2
        let reply = try? await redis.send(
            RedisCommand("SET", lease, recorder.serverID, "NX", "PX", String(leaseTime.wholeMilliseconds), "GET"))
        switch reply {
        case .null?:
            defer { Task { [redis] in _ = try? await redis.send(RedisCommand("DEL", lease)) } }
            return try await loadAndStore(request, generations: generations, recording: .fill, via: redis)
        case .bulk(let holder)?:
            let deadline = ContinuousClock.now + leaseTime
            while ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                guard let replies = try? await redis.send([RedisCommand("GET", key), RedisCommand("EXISTS", lease)]) else {
                    break
                }
                if case .bulk(let stored) = replies[0] {
                    let entry = CacheEntry.decode(stored)
                    var fill = Fill(response: OriginResponse(status: entry.status, body: entry.body), stored: false)
                    fill.loadedBy = String(decoding: holder, as: UTF8.self)
                    return fill
                }
                if replies[1].int == 0 { break }
            }
            return try await loadAndStore(request, generations: generations, recording: .fill, via: redis)
        default:
            return try await loadAndStore(request, generations: generations, recording: .fill, via: redis)
        }
    }

    /// Loads from the origin and stores what the policy keeps (a 200, a 404 with negative caching) with
    /// the guarded write; records `outcome` if stored, `refused` if the guard refused it. The key's
    /// history notes a response the policy does not keep.
    private func loadAndStore(
        _ request: CacheableRequest, generations: GuardedFill.Generations?, recording outcome: CacheOutcome,
        via redis: RedisPipeline
    ) async throws -> Fill {
        let key = request.key.description
        let started = ContinuousClock.now
        let response = try await origin(request)
        let loadTime = ContinuousClock.now - started
        guard let generations else { return Fill(response: response, stored: false) }
        guard let ttlMs = request.policy.storedTTLMilliseconds(forStatus: response.status, random: Double.random(in: 0...1))
        else {
            _ = try? await redis.send(KeyHistory.markUncacheable(key, schema: fill.schema))
            return Fill(response: response, stored: false)
        }
        let entry = CacheEntry.encode(status: response.status, body: response.body)
        let reply = try? await redis.send(
            fill.store(entry, for: request.key, ttlMs: ttlMs, tags: request.tags, generations: generations, loadTime: loadTime))
        if let reply { memory.observe(reply) }
        let stored = GuardedFill.stored(reply)
        if stored {
            recorder.record(
                outcome, key: key, route: request.policy.route, ttlMs: ttlMs, latency: loadTime,
                request: request.key.request, status: response.status == 200 ? nil : response.status)
        } else if let reason = GuardedFill.refusal(reply) {
            recorder.record(
                .refused, key: key, route: request.policy.route, latency: loadTime, reason: reason.isEmpty ? nil : reason)
        }
        return Fill(response: response, stored: stored)
    }

    /// The route's load, within `originTimeout`. A failed or late origin is a 503 (the middleware adds
    /// `Retry-After`), never a 500; every request waiting on the same load gets it, and nothing is stored.
    private func origin(_ request: CacheableRequest) async throws -> OriginResponse {
        let timeout = originTimeout
        do {
            return try await withThrowingTaskGroup(of: OriginResponse?.self) { group in
                group.addTask { try await request.load() }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let response = try await group.next() ?? nil else { throw OriginTimeout() }
                origin.succeeded()
                return response
            }
        } catch let error as OriginTimeout {
            origin.failed(error)
            throw APIError(503, "the origin did not answer within \(DurationText.format(timeout)); nothing was cached, try again")
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as APIError {
            throw error
        } catch {
            origin.failed(error)
            throw APIError(503, "the origin failed (\(error)); nothing was cached, try again")
        }
    }
}

private struct OriginTimeout: Error, CustomStringConvertible {
    var description: String { "the origin did not answer within the origin timeout" }
}
