import CacheProtocol
import Testing

@testable import CacheScopeKit

/// The invalidation channel's decisions, driven with made-up instants: no socket, no redis-server.
@Suite struct InvalidationChannelStateTests {
    typealias State = InvalidationChannelState
    let t0 = ContinuousClock.now

    func ms(_ value: Int) -> ContinuousClock.Instant { t0 + .milliseconds(value) }

    /// Subscribed at `t0`, first heartbeat sent and answered: the near cache is on.
    func serving() -> State {
        var state = State(hasNearCache: true, now: t0)
        _ = state.subscribed(now: t0, connectionUp: true)
        _ = state.beatDue(now: ms(1))
        _ = state.beatAnswered(sentAt: ms(1), registered: true, listeners: 1, connectionUp: true)
        return state
    }

    @Test func theNearCacheTurnsOnOnlyOnceARegistrationWasHeard() {
        var state = State(hasNearCache: true, now: t0)
        #expect(state.needsSubscription(connectionUp: true))
        #expect(state.beatDue(now: t0) == [], "no heartbeat before the subscription")
        #expect(state.subscribed(now: t0, connectionUp: true) == [])
        #expect(state.beatDue(now: ms(1)) == [.sendBeat(sequence: 1, registers: true)])
        #expect(state.beatAnswered(sentAt: ms(1), registered: true, listeners: nil, connectionUp: true) == [], "no answer")
        #expect(state.beatDue(now: ms(100)) == [.sendBeat(sequence: 2, registers: true)], "registers until it is on")
        #expect(
            state.beatAnswered(sentAt: ms(100), registered: true, listeners: 1, connectionUp: true) == [
                .enableNearCache(since: ms(100))
            ])
        #expect(state.nearCacheEnabled)
    }

    @Test func aRegistrationAnsweredAfterTheConnectionDroppedDoesNotTurnItOn() {
        var state = State(hasNearCache: true, now: t0)
        _ = state.subscribed(now: t0, connectionUp: true)
        _ = state.beatDue(now: ms(1))
        #expect(state.beatAnswered(sentAt: ms(1), registered: true, listeners: 1, connectionUp: false) == [])
        #expect(!state.nearCacheEnabled)
    }

    @Test func onceOnEveryTenthHeartbeatRegistersAgain() {
        var state = serving()
        let registering = (2...21).filter { sequence in
            let actions = state.beatDue(now: ms(sequence * 100))
            _ = state.received(.fence(.beat(sequence: UInt64(sequence))), now: ms(sequence * 100 + 5))  // echoed
            return actions == [.sendBeat(sequence: UInt64(sequence), registers: true)]
        }
        #expect(registering == [10, 20])
    }

    @Test func anEchoRenewsTheLeaseFromWhenItsHeartbeatWasSent() {
        var state = serving()
        _ = state.beatDue(now: ms(100))
        #expect(state.received(.fence(.beat(sequence: 2)), now: ms(140)) == [.renewLease(sentAt: ms(100))])
        #expect(state.received(.fence(.beat(sequence: 2)), now: ms(150)) == [], "an echo counts once")
        #expect(state.received(.fence(.beat(sequence: 99)), now: ms(150)) == [], "not one of ours")
    }

    @Test func anEchoLaterThanTheLeaseRenewsNothing() {
        var state = serving()
        _ = state.beatDue(now: ms(100))
        _ = state.beatDue(now: ms(100) + Fences.lease)  // the first one is forgotten: past its lease
        #expect(state.received(.fence(.beat(sequence: 2)), now: ms(700)) == [])
    }

    @Test func silenceRebuildsTheConnectionAndStopsServingFromMemory() {
        var state = serving()
        _ = state.received(.fence(.beat(sequence: 1)), now: ms(10))
        #expect(state.beatDue(now: ms(10) + State.silenceLimit) == [.sendBeat(sequence: 2, registers: false)], "not yet")
        #expect(
            state.beatDue(now: ms(11) + State.silenceLimit) == [
                .disableNearCache, .reconnect(reason: "invalidation channel silent"),
            ])
        #expect(state.needsSubscription(connectionUp: true))
        #expect(!state.nearCacheEnabled)
    }

    @Test func aHeartbeatNobodyHeardMeansTheSubscriptionIsGone() {
        var state = serving()
        _ = state.beatDue(now: ms(100))
        #expect(
            state.beatAnswered(sentAt: ms(100), registered: false, listeners: 0, connectionUp: true)
                == [.disableNearCache, .reconnect(reason: "invalidation channel no longer subscribed")])
    }

    @Test func aFenceEmptiesTheNearCacheThenAnswersTheWriter() {
        var state = serving()
        #expect(
            state.received(.fence(.fence(writer: "w1", sequence: 7)), now: ms(5)) == [
                .flushNear, .acknowledge(writer: "w1", sequence: 7),
            ])
        #expect(state.received(.fence(.ack(sequence: 3, server: "b")), now: ms(5)) == [.fenceAnswered(sequence: 3, by: "b")])
        #expect(state.received(.tracking(["shop:/a:1"]), now: ms(5)) == [.invalidateNear(["shop:/a:1"])])
        #expect(state.received(.tracking(nil), now: ms(5)) == [.flushNear], "FLUSHALL")
    }

    @Test func withoutANearCacheOnlyAnswersToOwnFencesMatter() {
        var state = State(hasNearCache: false, now: t0)
        _ = state.subscribed(now: t0, connectionUp: true)
        #expect(state.beatDue(now: ms(1)) == [.sendBeat(sequence: 1, registers: false)])
        #expect(state.beatAnswered(sentAt: ms(1), registered: false, listeners: 1, connectionUp: true) == [])
        #expect(state.received(.fence(.fence(writer: "w1", sequence: 7)), now: ms(5)) == [], "no near cache to empty")
        #expect(state.received(.fence(.ack(sequence: 3, server: "b")), now: ms(5)) == [.fenceAnswered(sequence: 3, by: "b")])
        #expect(state.lost() == [])
    }
}
