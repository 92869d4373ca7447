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
        let version: String?

        init(version: String?) { self.version = version }
    }

    private let flights = Mutex<[String: Flight]>([:])

    public init() {}

    /// Runs `load` unless a load of `key` at the same `version` is already in flight, in which case
    /// it waits for that one. A nil version never shares. Returns the value and whether it came
    /// from another caller's load.
    public func run(_ key: String, version: String?, _ load: @Sendable () async throws -> Value) async throws -> (value: Value, shared: Bool) {
        let (flight, leader) = flights.withLock { table -> (Flight, Bool) in
            if let existing = table[key], let version, existing.version == version { return (existing, false) }
            // A load at another version goes on for its own waiters; newcomers join this one.
            let flight = Flight(version: version)
            table[key] = flight
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
            if table[key] === flight { table[key] = nil }
        }
        let waiters = flight.state.withLock { state -> [CheckedContinuation<Value, any Error>] in
            defer { state = .done(result) }
            if case .loading(let waiters) = state { return waiters }
            return []
        }
        for waiter in waiters { waiter.resume(with: result) }
        return (try result.get(), false)
    }

    /// Number of keys with a load in flight.
    public var inFlight: Int { flights.withLock { $0.count } }
}
