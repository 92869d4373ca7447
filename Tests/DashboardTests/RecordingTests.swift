import CacheCore
import Foundation
import Testing

@testable import Dashboard

@Suite struct RecordingTests {
    private let header = Recording.Header(mode: "attached", prefixes: ["shop"], redis: "redis://r:6379/0", startedMs: t0)

    /// Ten polls a second apart: fills, hits and a miss, route counters growing, a server.
    private func polls() -> [PollResult] {
        (0..<10).map { second in
            let now = t0 + Int64(second) * 1000
            var totals = counts(hits: second * 9, misses: second)
            totals[.counting(miss: .cold)] = second
            return PollResult(
                nowMs: now, redis: overview, routeTotals: ["/products": totals],
                events: [
                    event(.fill, "shop:/products:\(second)", route: "/products", ttlMs: 5_000 + second * 700, at: now),
                    event(.hit, "shop:/products:\(second)", route: "/products", latencyUs: 120, at: now),
                    event(.miss, "shop:/products/\(second):x", route: "/products/{id}", latencyUs: 200_000, at: now),
                ],
                servers: [presence("a1b2c3d4", nearCacheMs: 1000, active: true)],
                loads: [InFlightLoad(key: "shop:/categories:e3b0c442", server: "a1b2c3d4", startedMs: now - 30, waiters: 2)])
        }
    }

    private func recording(_ polls: [PollResult]) -> String {
        ([Recording.line(for: header)] + polls.compactMap { Recording.line(for: .poll($0), atMs: $0.nowMs) })
            .joined(separator: "\n") + "\n"
    }

    @Test func pollsRoundTripThroughTheFile() throws {
        let original = polls()
        let contents = try Recording.read(recording(original))
        #expect(contents.header == header)
        #expect(contents.damage == nil)
        #expect(contents.entries.count == 10)
        let back = try #require(contents.entries[3].poll)
        #expect(back.events == original[3].events)
        #expect(back.routeTotals == original[3].routeTotals)
        #expect(back.servers == original[3].servers)
        #expect(back.loads == original[3].loads)
        #expect(back.redis == original[3].redis)
        #expect(Recording.line(for: .key(.char("q")), atMs: t0) == nil, "keys are the viewer's, not recorded")
    }

    /// The screen at a position depends on the position alone, however the wall clock chopped the way there.
    @Test func twoReplaysPausedAtTheSamePointShowTheSameScreen() throws {
        let contents = try Recording.read(recording(polls()))
        func replay(steps: [Double]) -> ScreenBuffer {
            var state = DashboardState(
                config: DashboardConfig(mode: "replay", prefixes: ["shop"], refreshMs: 1000, readOnly: true), width: 80,
                height: 24, nowMs: t0)
            var control = ReplayControl(entries: contents.entries, speed: 2)
            for wallMs in steps {
                for entry in contents.entries[control.advance(wallMs: wallMs)] { _ = update(&state, entry.input!) }
            }
            _ = control.handle(.char(" "))
            #expect(control.isPaused && control.next == 6)
            return render(state)
        }
        let first = replay(steps: [0, 1_000, 1_500])  // ×2: 5 s of recording: polls 0 to 5
        let second = replay(steps: [0, 300, 300, 300, 300, 300, 300, 300, 300, 100])
        #expect(first == second)
        #expect(first.lines.joined().contains("shop:/products:5"))
        #expect(!first.lines.joined().contains("shop:/products:6"))
    }

    @Test func stepsSpeedsAndPauses() throws {
        var control = ReplayControl(entries: try Recording.read(recording(polls())).entries)
        #expect(control.advance(wallMs: 0) == 0..<1)
        #expect(control.handle(.char("]")) == ReplayControl.Action.none, "stepping needs a pause")
        _ = control.handle(.char(" "))
        #expect(control.advance(wallMs: 10_000).isEmpty, "paused: nothing is due")
        #expect(control.handle(.char("]")) == .feed(range: 1..<2))
        #expect(control.handle(.char("[")) == .rebuild(upTo: 1))
        _ = control.handle(.char(">"))
        _ = control.handle(.char(">"))
        #expect(control.speed == 4)
        #expect(control.status.hasPrefix("replay 1/10 ×4 PAUSED"))
        _ = control.handle(.char(" "))
        #expect(control.advance(wallMs: 1_000) == 1..<5, "×4: four seconds of recording in one")
        #expect(control.handle(.char("q")) == nil, "the dashboard's keys are not the replay's")
    }

    @Test func aDamagedFileReplaysUpToTheDamage() throws {
        let text = recording(polls())
        let cut = String(text.dropLast(40))  // the last line cut short
        let contents = try Recording.read(cut)
        #expect(contents.entries.count == 9)
        #expect(contents.damage == "line 11 is damaged, the replay stops before it")
        #expect(throws: Recording.Unreadable.self) { try Recording.read("{\"not\": \"a recording\"}\n") }
    }
}
