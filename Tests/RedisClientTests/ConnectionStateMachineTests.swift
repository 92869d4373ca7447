import NIOCore
import Testing

@testable import RedisClient

/// The connection's decisions, driven with made-up instants: no socket, no redis-server.
@Suite struct ConnectionStateMachineTests {
    typealias Machine = ConnectionStateMachine
    let timing = Machine.Timing(
        ioTimeout: .milliseconds(50), connectTimeout: .milliseconds(50), retryInterval: .milliseconds(250))
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func ms(_ value: Int64) -> NIODeadline { t0 + .milliseconds(value) }

    /// A machine with request 1 in flight on an open connection, written at `t0`.
    func connected() -> Machine {
        var machine = Machine(timing: timing, endpoint: "redis")
        _ = machine.submit(1, expecting: 1, now: t0)
        _ = machine.connected(setup: nil, now: t0)
        return machine
    }

    @Test func theFirstRequestConnectsAndIsWrittenOnceConnected() {
        var machine = Machine(timing: timing, endpoint: "redis")
        #expect(machine.submit(1, expecting: 2, now: t0) == [.connect, .scheduleConnectCheck(ms(50))])
        #expect(machine.submit(2, expecting: 1, now: ms(1)) == [], "waits for the connect in progress")
        #expect(
            machine.connected(setup: (9, 1), now: ms(5))
                == [.cancelConnectCheck, .statusChanged(up: true), .write([9, 1, 2]), .scheduleTimeoutCheck(ms(55))])
        #expect(machine.received(.status("OK")) == [.complete(9, [.status("OK")])], "the setup (AUTH) is answered first")
        #expect(machine.received(.integer(1)) == [])
        #expect(machine.received(.integer(2)) == [.complete(1, [.integer(1), .integer(2)])])
    }

    @Test func aFailedConnectBacksOffBeforeTheNextAttempt() {
        var machine = Machine(timing: timing, endpoint: "redis")
        _ = machine.submit(1, expecting: 1, now: t0)
        #expect(
            machine.connectFailed(.unavailable("redis: refused"), now: ms(2)) == [
                .cancelConnectCheck, .fail([1], .unavailable("redis: refused")),
            ])
        #expect(machine.submit(2, expecting: 1, now: ms(100)) == [.fail([2], .unavailable("reconnecting to redis"))])
        #expect(machine.submit(3, expecting: 1, now: ms(252)) == [.connect, .scheduleConnectCheck(ms(302))], "back-off over")
    }

    @Test func aSlowConnectFailsItsCallersButGoesOn() {
        var machine = Machine(timing: timing, endpoint: "redis")
        _ = machine.submit(1, expecting: 1, now: t0)
        #expect(
            machine.connectCheck(scheduledFor: ms(50), now: ms(51)) == [
                .fail([1], .unavailable("redis: no connection within 50 ms"))
            ])
        #expect(machine.submit(2, expecting: 1, now: ms(60)) == [.fail([2], .unavailable("still connecting to redis"))])
        #expect(
            machine.connected(setup: nil, now: ms(70)) == [.cancelConnectCheck, .statusChanged(up: true)], "nothing left to write"
        )
        #expect(machine.submit(3, expecting: 1, now: ms(71)) == [.write([3]), .scheduleTimeoutCheck(ms(121))])
    }

    @Test func aLateReplyFailsEverythingInFlightAndDropsTheConnection() {
        var machine = connected()
        _ = machine.submit(2, expecting: 1, now: ms(10))
        #expect(
            machine.timeoutCheck(scheduledFor: ms(50), now: ms(51))
                == [.cancelTimeoutCheck, .close, .statusChanged(up: false), .fail([1, 2], .timedOut)])
        #expect(machine.submit(3, expecting: 1, now: ms(100)) == [.fail([3], .unavailable("reconnecting to redis"))])
    }

    @Test func aCheckThatRunsLateOnlyReArms() {
        var machine = connected()
        // The loop was busy for 40 ms past the deadline: replies may be unread, so no verdict yet.
        #expect(machine.timeoutCheck(scheduledFor: ms(50), now: ms(90)) == [.scheduleTimeoutCheck(ms(100))])
        #expect(machine.received(.integer(1)) == [.complete(1, [.integer(1)])], "the reply was there")
        #expect(machine.timeoutCheck(scheduledFor: ms(100), now: ms(100)) == [], "nothing in flight")
        #expect(machine.isConnected)
    }

    @Test func aCheckBeforeTheOldestIsDueReArmsForIt() {
        var machine = connected()
        #expect(machine.received(.integer(1)) == [.complete(1, [.integer(1)])])
        _ = machine.submit(2, expecting: 1, now: ms(40))  // the check armed for request 1 is still pending
        #expect(machine.timeoutCheck(scheduledFor: ms(50), now: ms(50)) == [.scheduleTimeoutCheck(ms(90))])
    }

    @Test func anIdleConnectionClosedByRedisReconnectsAtOnce() {
        var machine = connected()
        _ = machine.received(.integer(1))
        #expect(machine.closed(now: ms(5)) == [.cancelTimeoutCheck, .close, .statusChanged(up: false)])
        #expect(machine.submit(2, expecting: 1, now: ms(6)) == [.connect, .scheduleConnectCheck(ms(56))], "no back-off")
    }

    @Test func aConnectionLostWithRequestsInFlightBacksOff() {
        var machine = connected()
        #expect(
            machine.closed(now: ms(5)) == [
                .cancelTimeoutCheck, .close, .statusChanged(up: false),
                .fail([1], .connectionLost("redis closed the connection")),
            ])
        #expect(machine.submit(2, expecting: 1, now: ms(6)) == [.fail([2], .unavailable("reconnecting to redis"))])
    }

    @Test func aReplyNobodyAwaitsIsHandedOn() {
        var machine = connected()
        _ = machine.received(.integer(1))
        #expect(
            machine.received(.array([.bulk(Array("message".utf8))])) == [.unsolicited(.array([.bulk(Array("message".utf8))]))])
    }

    @Test func stopAnswersWhatIsInFlightThenCloses() {
        var machine = connected()
        #expect(machine.stop() == [])
        #expect(machine.submit(2, expecting: 1, now: ms(1)) == [.fail([2], .unavailable("client stopped"))])
        #expect(machine.received(.integer(1)) == [.complete(1, [.integer(1)]), .close])
    }
}
