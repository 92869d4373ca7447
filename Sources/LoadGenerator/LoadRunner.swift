import CacheCore
import Foundation
import Synchronization

/// Tallies of a load run: responses by `X-Cache`, errors, and latencies for percentiles.
public final class LoadStats: Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var requests = 0, hits = 0, stale = 0, misses = 0, bypasses = 0, uncached = 0, errors = 0
        public var latenciesUs: [Int] = []
        public var elapsed: Duration = .zero

        public init() {}

        /// Adds another window's counts (latencies up to a bound).
        public mutating func merge(_ other: Snapshot) {
            requests += other.requests
            hits += other.hits
            stale += other.stale
            misses += other.misses
            bypasses += other.bypasses
            uncached += other.uncached
            errors += other.errors
            latenciesUs += other.latenciesUs.prefix(max(0, 2 * LoadStats.latencyLimit - latenciesUs.count))
        }

        public func percentileUs(_ p: Double) -> Int? {
            guard !latenciesUs.isEmpty else { return nil }
            let sorted = latenciesUs.sorted()
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }

        /// `rps 198.7 | HIT 93.1% STALE 0.4% MISS 6.5% BYPASS 0.0% | p50 1.2ms p99 9.8ms | errors 0`
        public var summary: String {
            let seconds = max(0.001, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            let cached = max(1, hits + stale + misses + bypasses)
            func share(_ n: Int) -> String { String(format: "%.1f%%", Double(n) / Double(cached) * 100) }
            func ms(_ us: Int?) -> String { us.map { String(format: "%.1fms", Double($0) / 1000) } ?? "-" }
            return String(format: "rps %.1f", Double(requests) / seconds)
                + " | HIT \(share(hits)) STALE \(share(stale)) MISS \(share(misses)) BYPASS \(share(bypasses))"
                + " | p50 \(ms(percentileUs(0.5))) p99 \(ms(percentileUs(0.99))) | errors \(errors)"
        }
    }

    private let state = Mutex(Snapshot())
    private let started = ContinuousClock.now
    /// Latencies kept per window; beyond this the window samples.
    static let latencyLimit = 100_000

    public init() {}

    func record(cache: String?, status: Int?, latency: Duration) {
        state.withLock { s in
            s.requests += 1
            switch (status, cache) {
            case (nil, _), ((500...)?, _): s.errors += 1
            case (_, "HIT"?): s.hits += 1
            case (_, "STALE"?): s.stale += 1
            case (_, "MISS"?): s.misses += 1
            case (_, "BYPASS"?): s.bypasses += 1
            default: s.uncached += 1
            }
            if s.latenciesUs.count < Self.latencyLimit {
                s.latenciesUs.append(latency.wholeMicroseconds)
            }
        }
    }

    /// Everything since the last `takeWindow` (for live lines).
    public func takeWindow() -> Snapshot {
        state.withLock { s in
            defer { s = Snapshot() }
            return s
        }
    }
}

/// Sends the request mix to a server (or spreads it over several, request by request) at a steady
/// rate with a fixed number of workers.
public struct LoadRunner: Sendable {
    public var baseURLs: [String]
    public var rps: Double
    public var concurrency: Int
    public var mix: RequestMix
    public let client: HTTPClient

    public init(baseURL: String, rps: Double, concurrency: Int, writeRatio: Double, client: HTTPClient = HTTPClient(timeout: 5)) {
        self.init(baseURLs: [baseURL], rps: rps, concurrency: concurrency, writeRatio: writeRatio, client: client)
    }

    public init(
        baseURLs: [String], rps: Double, concurrency: Int, writeRatio: Double, client: HTTPClient = HTTPClient(timeout: 5)
    ) {
        precondition(!baseURLs.isEmpty, "a load needs a server")
        self.baseURLs = baseURLs.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.rps = rps
        self.concurrency = concurrency
        self.mix = RequestMix(writeRatio: writeRatio)
        self.client = client
    }

    /// Runs until `duration` has passed (nil: until cancelled), recording into `stats`.
    public func run(for duration: Duration?, stats: LoadStats) async {
        let start = ContinuousClock.now
        let end = duration.map { start + $0 }
        let slots = Locked(0)
        let created = Locked<[Int]>([])
        let interval = Duration.nanoseconds(Int64(1e9 / max(0.1, rps)))
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, concurrency) {
                group.addTask {
                    while !Task.isCancelled {
                        let slot = slots.withLock { n in
                            defer { n += 1 }
                            return n
                        }
                        let due = start + interval * slot
                        if let end, due >= end { return }
                        // Slots missed by more than a second (the server or this machine stalled) are
                        // skipped, not sent in a burst: the rate stays the rate asked for.
                        if due < .now - .seconds(1) { continue }
                        if due > .now { try? await Task.sleep(until: due, clock: .continuous) }
                        if Task.isCancelled { return }
                        let server = baseURLs[slot % baseURLs.count]
                        await send(mix.next { Double.random(in: 0..<1) }, to: server, created: created, stats: stats)
                    }
                }
            }
        }
    }

    private func send(_ request: RequestMix.Request, to baseURL: String, created: Locked<[Int]>, stats: LoadStats) async {
        let started = ContinuousClock.now
        var response: HTTPClient.Response?
        switch request {
        case .get(let path):
            response = try? await client.get(baseURL + path)
        case .create:
            response = try? await client.post(
                baseURL + "/products",
                json: #"{"name":"Load item","price":1.5,"category":"load"}"#)
            if let id = response?.json["id"] as? Int { created.withLock { $0.append(id) } }
        case .delete:
            // Only what the load created, so the catalogue stays as it was.
            guard let id = created.withLock({ $0.popLast() }) else { return }
            response = try? await client.send("DELETE", baseURL + "/products/\(id)")
        }
        // A request cut off because the run was stopped is no error of the server's: not counted.
        if response == nil && Task.isCancelled { return }
        stats.record(cache: response?.header("X-Cache"), status: response?.status, latency: .now - started)
    }
}

/// A value behind a lock, shareable between tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T: Sendable>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}
