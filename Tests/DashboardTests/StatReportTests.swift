import CacheCore
import Foundation
import Testing

@testable import Dashboard

@Suite struct StatAssertionTests {
    @Test func parsesPathOperatorAndNumber() throws {
        let assertion = try StatAssertion(parsing: "routes./products.hit_rate >= 0.9")
        #expect(assertion.path == "routes./products.hit_rate")
        #expect(assertion.comparison == .atLeast)
        #expect(assertion.bound == 0.9)
        #expect(try StatAssertion(parsing: "servers>2").comparison == .above)
        #expect(try StatAssertion(parsing: "servers != 0").comparison == .notEqual)
        #expect(try StatAssertion(parsing: "servers<=3").comparison == .atMost)
    }

    @Test func badExpressionsSayWhatIsWrong() {
        #expect(throws: StatAssertionError.self) { try StatAssertion(parsing: "servers") }
        #expect(throws: StatAssertionError.self) { try StatAssertion(parsing: ">= 3") }
        #expect(throws: StatAssertionError.self) { try StatAssertion(parsing: "servers >= lots") }
        do {
            _ = try StatAssertion(parsing: "servers >= lots")
        } catch {
            #expect(error.message.contains("'lots'"))
        }
    }

    /// Route names hold slashes and may hold dots: the longest key that fits is taken.
    @Test func pathsFindNumbersUnderKeysWithDots() throws {
        let object: [String: Any] = [
            "servers": 2, "refuses": true,
            "routes": ["/v1.2/items": ["hit_rate": 0.95], "/v1": ["hit_rate": 0.5]],
        ]
        #expect(try StatAssertion(parsing: "routes./v1.2/items.hit_rate >= 0.9").check(object).holds)
        #expect(!(try StatAssertion(parsing: "routes./v1.hit_rate >= 0.9").check(object).holds))
        let missing = try StatAssertion(parsing: "routes./nope.hit_rate >= 0.9").check(object)
        #expect(!missing.holds && missing.detail.contains("not a number"))
        #expect(!(try StatAssertion(parsing: "refuses == 1").check(object).holds), "a boolean is not a number")
        let failed = try StatAssertion(parsing: "servers > 2").check(object)
        #expect(!failed.holds && failed.detail == "servers > 2: servers is 2")
    }
}

@Suite struct StatReportTests {
    @Test func jsonCarriesVersionRatesAndCausesFromThePolls() throws {
        var before = RouteCounts()
        before.hits = 10
        before.misses = 10
        before[.counting(miss: .cold)] = 10
        var after = before
        after.hits = 28
        after.misses = 12
        after[.counting(miss: .expired)] = 2
        var report = StatReport()
        report.record(PollResult(nowMs: t0, redis: overview, routeTotals: ["/products": before]))
        report.record(PollResult(nowMs: t0 + 2_000, redis: overview, routeTotals: ["/products": after], servers: [presence("a")]))
        let json = report.json
        #expect(json["version"] as? Int == 1)
        #expect(json["ts_ms"] as? Int64 == t0 + 2_000)
        #expect(json["servers"] as? Int == 1)
        let rates = try #require(json["hit_rate"] as? [String: Any])
        #expect(rates["10s"] as? Double == 0.9, "18 hits of 20 lookups in the window")
        #expect(rates["all"] as? Double == 0.7)
        let route = try #require((json["routes"] as? [String: Any])?["/products"] as? [String: Any])
        #expect(route["hits"] as? Int == 28)
        #expect(route["misses"] as? Int == 12)
        #expect(route["hit_rate"] as? Double == 0.7)
        #expect((route["misses_by_cause"] as? [String: Int])?["expired"] == 2)
        #expect(route["misses_cold"] == nil, "causes only under misses_by_cause")
        #expect((json["redis"] as? [String: Any])?["keyspace_hit_rate"] as? Double == 0.75)
        _ = try JSONSerialization.data(withJSONObject: json)  // it is JSON
        #expect(report.text.contains("/products"))
        #expect(report.text.contains("cold 10, expired 2"))
    }
}
