import CacheCore
import Foundation
import Testing

/// XFetch with the clock and the random draw injected: whether a hit refreshes depends only on how
/// near expiry it is, how long the key takes to load, and beta.
@Suite struct EarlyRefreshTests {
    let early = EarlyRefresh(beta: 1)!

    /// A draw of e⁻¹ makes the lead exactly `loadTime × beta`.
    let oneLoadTime = exp(-1.0)

    @Test func aHitRefreshesOnceWithinItsLeadOfExpiry() {
        let expiry = Duration.seconds(10)
        let load = Duration.milliseconds(100)
        #expect(early.shouldRefresh(now: .milliseconds(9_900), expiry: expiry, loadTime: load, random: oneLoadTime))
        #expect(!early.shouldRefresh(now: .milliseconds(9_890), expiry: expiry, loadTime: load, random: oneLoadTime))
    }

    @Test func slowerLoadsAndLargerBetaRefreshEarlier() {
        let expiry = Duration.seconds(10), now = Duration.milliseconds(9_500)
        #expect(!early.shouldRefresh(now: now, expiry: expiry, loadTime: .milliseconds(100), random: oneLoadTime))
        #expect(early.shouldRefresh(now: now, expiry: expiry, loadTime: .milliseconds(500), random: oneLoadTime))
        let eager = EarlyRefresh(beta: 5)!
        #expect(eager.shouldRefresh(now: now, expiry: expiry, loadTime: .milliseconds(100), random: oneLoadTime))
    }

    /// Over evenly spread draws, the share of hits that refresh with `t` left is e^(−t / (loadTime × beta)).
    @Test func theShareRefreshingFallsExponentiallyWithTimeLeft() {
        let load = Duration.milliseconds(200), expiry = Duration.seconds(60)
        let draws = (1...10_000).map { Double($0) / 10_000 }
        for left in [0.1, 0.2, 0.4, 0.8] {
            let now = expiry - .milliseconds(Int(left * 1000))
            let share =
                Double(draws.filter { early.shouldRefresh(now: now, expiry: expiry, loadTime: load, random: $0) }.count)
                / Double(draws.count)
            #expect(abs(share - exp(-left / 0.2)) < 0.002, "\(left) s left: \(share)")
        }
    }

    @Test func anExpiredEntryAndADrawOfOneNeverRefresh() {
        #expect(!early.shouldRefresh(now: .seconds(11), expiry: .seconds(10), loadTime: .seconds(1), random: 0.001))
        #expect(!early.shouldRefresh(now: .milliseconds(9_999), expiry: .seconds(10), loadTime: .seconds(1), random: 1))
    }

    @Test func betaMustBePositive() {
        #expect(EarlyRefresh(beta: 0) == nil)
        #expect(EarlyRefresh(beta: -1) == nil)
        #expect(EarlyRefresh(beta: .infinity) == nil)
        #expect(EarlyRefresh(beta: 0.5)?.beta == 0.5)
    }
}

/// A missing key's cause, from the last event its history in Redis records.
@Suite struct MissCauseClassificationTests {
    @Test func theLastEventDecides() {
        #expect(MissCause(last: nil, storedUntilMs: nil, nowMs: 5) == .cold)
        #expect(MissCause(last: .filled, storedUntilMs: 1_000, nowMs: 1_000) == .expired)
        #expect(MissCause(last: .filled, storedUntilMs: 1_000, nowMs: 999) == .evicted, "gone before its time")
        #expect(MissCause(last: .invalidated, storedUntilMs: 1_000, nowMs: 5) == .invalidated)
        #expect(MissCause(last: .refused, storedUntilMs: nil, nowMs: 5) == .refused)
        #expect(MissCause(last: .uncacheable, storedUntilMs: nil, nowMs: 5) == .uncacheable)
    }

    @Test func causesAreCountedUnderTheirOwnFieldAndAddUp() {
        var counts = RouteCounts()
        let causes: [MissCause?] = [.cold, .expired, .expired, .invalidated, nil]
        for (index, cause) in causes.enumerated() {
            counts.record(
                CacheEvent(
                    outcome: index == 2 ? .coalesced : .miss, key: "k", route: "/r", cause: cause?.rawValue, server: "s",
                    timestampMs: 0))
        }
        counts.record(CacheEvent(outcome: .bypass, key: "k", route: "/r", cause: "redis_oom", server: "s", timestampMs: 0))
        #expect(counts.misses == 5)
        #expect(counts.missesByCause == [.cold: 2, .expired: 2, .invalidated: 1, .evicted: 0, .refused: 0, .uncacheable: 0])
        #expect(counts.bypassesByCause[.redisOOM] == 1)
        #expect(counts.bypasses == 1)
    }

    @Test func everyCounterFieldReadsBackByItsName() {
        for field in CounterField.allCases { #expect(CounterField(name: field.name) == field) }
        #expect(Set(CounterField.allCases.map(\.name)).count == CounterField.allCases.count)
        #expect(CounterField.counting(miss: .expired).name == "misses_expired")
        #expect(CounterField.counting(bypass: .pendingInvalidation).name == "bypasses_pending_invalidation")
    }
}
