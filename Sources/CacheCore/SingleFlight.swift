import Synchronization

/// Collapses concurrent loads of one key into one call: the first caller runs the loader,
/// later callers wait for its result and are told they shared it.
///
/// A caller joins only a load started with the same `version` it holds (for the cache: the
/// invalidation generations it read). One who has seen a newer version starts a load of its
/// own, so a request that began after an invalidation never gets the result of a load that
/// began before it, whichever process did the invalidating.
public final class SingleFlight<Value: Sendable>: Sendable {
    private final class Flight: Sendable {
        enum State {
            case loading(waiters: [CheckedContinuation<Value, any Error>])
            case done(Result<Value, any Error>)
        }
        let state = Mutex<State>(.loading(waiters: []))
        let started: ContinuousClock.Instant
        init(started: ContinuousClock.Instant) { self.started = started }
    }

    /// One load in flight: its key, when it started, and how many callers wait for it.
    public struct Load: Sendable, Equatable {
        public let key: String
        public let started: ContinuousClock.Instant
        public let waiters: Int
    }

    private struct Slot: Hashable {
        let key: String
        let version: String
    }

    private let flights = Mutex<[Slot: Flight]>([:])

    public init() {}

    /// Runs `load` unless a load of `key` at the same `version` is already in flight, in which case
    /// it waits for that one. A nil version never shares. Returns the value and whether it came
    /// from another caller's load.
    public func run(
        _ key: String, version: String?, _ load: @Sendable () async throws -> Value
    ) async throws -> (value: Value, shared: Bool) {
        guard let version else { return (try await load(), false) }
        // Loads of one key at different versions run side by side, each for its own callers.
        let slot = Slot(key: key, version: version)
        let (flight, leader) = flights.withLock { table -> (Flight, Bool) in
            if let existing = table[slot] { return (existing, false) }
            let flight = Flight(started: .now)
            table[slot] = flight
            return (flight, true)
        }
        if !leader {
            let value = try await withCheckedThrowingContinuation { continuation in
                let finished = flight.state.withLock { state -> Result<Value, any Error>? in
                    switch state {
                    case .loading(let waiters):
                        state = .loading(waiters: waiters + [continuation])
                        return nil
                    case .done(let result):
                        return result
                    }
                }
                if let finished { continuation.resume(with: finished) }
            }
            return (value, true)
        }
        let result: Result<Value, any Error>
        do { result = .success(try await load()) } catch { result = .failure(error) }
        // Leave the table before waking the waiters, so a caller arriving now starts afresh.
        flights.withLock { table in
            if table[slot] === flight { table[slot] = nil }
        }
        let waiters = flight.state.withLock { state -> [CheckedContinuation<Value, any Error>] in
            defer { state = .done(result) }
            if case .loading(let waiters) = state { return waiters }
            return []
        }
        for waiter in waiters { waiter.resume(with: result) }
        return (try result.get(), false)
    }

    /// Number of loads in flight that callers can join.
    public var inFlight: Int { flights.withLock { $0.count } }

    /// The loads in flight now, oldest first.
    public var loads: [Load] {
        let flights = flights.withLock { Array($0) }
        return flights.map { slot, flight in
            let waiters = flight.state.withLock { state -> Int in
                if case .loading(let waiters) = state { return waiters.count }
                return 0
            }
            return Load(key: slot.key, started: flight.started, waiters: waiters)
        }.sorted { $0.started < $1.started }
    }
}
