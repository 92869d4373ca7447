import Synchronization

/// Collapses concurrent loads of one key into one call: the first caller runs the loader,
/// later callers wait for its result and are told they shared it.
public final class SingleFlight<Value: Sendable>: Sendable {
    private final class Flight: Sendable {
        enum State {
            case loading(waiters: [CheckedContinuation<Value, any Error>])
            case done(Result<Value, any Error>)
        }
        let state = Mutex<State>(.loading(waiters: []))
    }

    private let flights = Mutex<[String: Flight]>([:])

    public init() {}

    /// Runs `load` unless a load of `key` is already in flight, in which case it waits for that one.
    /// Returns the value and whether it came from another caller's load.
    public func run(_ key: String, _ load: @Sendable () async throws -> Value) async throws -> (value: Value, shared: Bool) {
        let (flight, leader) = flights.withLock { table -> (Flight, Bool) in
            if let existing = table[key] { return (existing, false) }
            let flight = Flight()
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

    /// Detaches in-flight loads whose key satisfies `predicate`: callers arriving after this
    /// start a new load instead of joining one that began before, say, an invalidation.
    public func forget(where predicate: (String) -> Bool) {
        flights.withLock { table in
            for key in table.keys where predicate(key) { table[key] = nil }
        }
    }

    /// Number of keys with a load in flight.
    public var inFlight: Int { flights.withLock { $0.count } }
}
