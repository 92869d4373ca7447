import Synchronization
import Testing

@testable import CacheCore

@Suite struct SingleFlightTests {
    @Test func concurrentMissesLoadOnce() async throws {
        let flight = SingleFlight<Int>()
        let calls = CallCounter()
        let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for _ in 0..<100 {
                group.addTask {
                    try await flight.run("shop:/products:e3b0c442", version: "3,1") {
                        calls.increment()
                        try await Task.sleep(for: .milliseconds(100))
                        return 42
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(calls.value == 1)
        #expect(results.count == 100)
        #expect(results.allSatisfy { $0.0 == 42 })
        #expect(results.filter { !$0.1 }.count == 1)  // one leader, 99 shared
        #expect(flight.inFlight == 0)
    }

    @Test func errorsReachEveryWaiter() async {
        struct Boom: Error {}
        let flight = SingleFlight<Int>()
        let failures = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    do {
                        _ = try await flight.run("k", version: "0") {
                            try await Task.sleep(for: .milliseconds(50))
                            throw Boom()
                        }
                        return false
                    } catch { return error is Boom }
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(failures == 10)
    }

    /// After an invalidation (a newer version), callers start afresh; those who joined the old
    /// load still get its result, and a caller still holding the old version is not misled.
    @Test func newerVersionDoesNotJoinAnOlderLoad() async throws {
        let flight = SingleFlight<String>()
        let started = AsyncStream<Void>.makeStream()
        async let old = flight.run("k", version: "1") {
            started.continuation.yield()
            try await Task.sleep(for: .milliseconds(200))
            return "old"
        }
        for await _ in started.stream { break }
        let fresh = try await flight.run("k", version: "2") { "new" }
        #expect(fresh.value == "new")
        #expect(fresh.shared == false)
        #expect(try await old.value == "old")
        let unknown = try await flight.run("k", version: nil) { "alone" }
        #expect(unknown.value == "alone" && unknown.shared == false, "without a version nobody shares")
    }

    /// Loads of one key at two versions run side by side; each caller joins the one of its version.
    @Test func eachVersionKeepsItsOwnLoad() async throws {
        let flight = SingleFlight<String>()
        let calls = CallCounter()
        func load(_ value: String) -> @Sendable () async throws -> String {
            {
                calls.increment()
                try await Task.sleep(for: .milliseconds(300))
                return value
            }
        }
        async let v1 = flight.run("k", version: "1", load("one"))
        async let v2 = flight.run("k", version: "2", load("two"))
        while flight.inFlight < 2 { try await Task.sleep(for: .milliseconds(5)) }
        async let v1Again = flight.run("k", version: "1", load("one again"))
        async let v2Again = flight.run("k", version: "2", load("two again"))
        let results = try await [v1, v2, v1Again, v2Again]
        #expect(results.map(\.value) == ["one", "two", "one", "two"])
        #expect(results.map(\.shared) == [false, false, true, true])
        #expect(calls.value == 2)
        #expect(flight.inFlight == 0)
    }
}

final class CallCounter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
