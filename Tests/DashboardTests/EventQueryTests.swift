import CacheCore
import Testing

@testable import Dashboard

@Suite struct EventQueryTests {
    private func parse(_ text: String) throws -> EventQuery { try EventQuery(parsing: text) }

    private func syntaxError(_ text: String) -> EventQuery.SyntaxError? {
        do {
            _ = try EventQuery(parsing: text)
            return nil
        } catch { return error }
    }

    @Test func parsesComparisonsJoinedByAnd() throws {
        #expect(
            try parse("event == miss and route == /products and latency > 100ms")
                == .and(
                    .and(.compare(.event, .equal, .text("miss")), .compare(.route, .equal, .text("/products"))),
                    .compare(.latency, .above, .microseconds(100_000))))
        #expect(try parse("key ~ \"shop:/products/\"") == .compare(.key, .contains, .text("shop:/products/")))
        #expect(try parse("latency<=250us") == .compare(.latency, .atMost, .microseconds(250)))
        #expect(try parse("latency >= 2s") == .compare(.latency, .atLeast, .microseconds(2_000_000)))
    }

    @Test func notBindsTightestThenAndThenOr() throws {
        let hit = EventQuery.compare(.event, .equal, .text("hit"))
        let miss = EventQuery.compare(.event, .equal, .text("miss"))
        let slow = EventQuery.compare(.latency, .above, .microseconds(1_000))
        #expect(try parse("event == hit or event == miss and latency > 1ms") == .or(hit, .and(miss, slow)))
        #expect(try parse("(event == hit or event == miss) and latency > 1ms") == .and(.or(hit, miss), slow))
        #expect(try parse("not event == hit and latency > 1ms") == .and(.not(hit), slow))
        #expect(try parse("not (event == hit and latency > 1ms)") == .not(.and(hit, slow)))
    }

    @Test func errorsSayWhatAndPointAtTheColumn() {
        #expect(syntaxError("event = miss")?.column == 7)
        #expect(syntaxError("evnt == miss")?.message.hasPrefix("'evnt' is no field") == true)
        #expect(syntaxError("evnt == miss")?.column == 1)
        #expect(syntaxError("latency > fast")?.column == 11)
        #expect(syntaxError("event ==")?.column == 9, "the end")
        #expect(syntaxError("(event == hit")?.message.contains("not closed") == true)
        #expect(syntaxError("event == hit route == /x")?.column == 14, "two comparisons need and/or")
        #expect(syntaxError("key == \"open")?.message == "unterminated string")
        #expect(syntaxError("event == hit and")?.column == 17)
    }

    @Test func matchesEvents() throws {
        let slowMiss = event(.miss, "shop:/products:a", route: "/products", latencyUs: 200_000)
        let fastHit = event(.hit, "shop:/products:a", route: "/products", latencyUs: 50)
        var invalidated = event(.miss, "shop:/products/3:x", route: "/products/{id}", latencyUs: 20_000)
        invalidated.cause = "invalidated"
        let query = try parse("event == miss and route == /products and latency > 100ms")
        #expect(query.matches(slowMiss))
        #expect(!query.matches(fastHit))
        #expect(!query.matches(invalidated))
        #expect(try parse("cause == invalidated").matches(invalidated))
        #expect(try parse("key ~ /products/ and not server == api-2").matches(invalidated))
        #expect(!(try parse("server != api-1").matches(fastHit)))
    }
}

/// The `:` prompt: Enter puts a query in force, a bad one stays in the prompt with its error, Esc
/// keeps the old one, an empty one clears it; the log then collects only what matches.
@Test func queryPromptFiltersTheLog() {
    var state = makeState()
    type(&state, ":event == miss")
    press(&state, .enter)
    #expect(state.queryText == "event == miss")
    #expect(render(state).lines[2].hasSuffix("query: event == miss"))
    poll(&state, at: t0, events: [event(.hit, "shop:/a:1"), event(.miss, "shop:/b:2"), event(.fill, "shop:/b:2")])
    let log = render(state).lines[17...21].filter { !$0.isEmpty }
    #expect(log.count == 1 && log[0].contains("MISS"), "\(log)")

    type(&state, ":")
    press(&state, .char(" "), .char("o"), .char("r"))
    press(&state, .enter)
    #expect(state.prompt != nil, "a query that does not parse stays in the prompt")
    // The caret sits under column 17 of the query (past the prompt's label), the message before it.
    let errorLine = render(state).lines[23]
    #expect(errorLine.hasSuffix("expected a field ^"))
    let label = "query (Enter apply, empty clears, Esc keeps the old one): "
    #expect(errorLine.count - 1 == label.count + 16)
    #expect(state.queryText == "event == miss", "and the old one stays in force")
    press(&state, .escape)
    #expect(state.prompt == nil)
    #expect(state.queryText == "event == miss")

    type(&state, ":")
    for _ in 0..<20 { press(&state, .backspace) }
    press(&state, .enter)
    #expect(state.queryText.isEmpty)
    #expect(!render(state).lines[2].contains("query:"))
}
