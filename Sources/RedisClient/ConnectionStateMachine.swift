import NIOCore

/// The decisions of one Redis connection as a value: events in (a request, a reply, a timer that
/// fired, the socket's fate), actions out (connect, write, complete, fail, schedule a check). It
/// holds no socket and no timer, and reads no clock: every event brings `now`. `RedisPipeline`
/// performs the actions on its event loop; tests drive it with made-up instants.
///
/// It degrades instead of waiting: while disconnected, requests fail at once and a reconnect is
/// tried at most every `retryInterval`; a reply late by more than `ioTimeout` fails every request
/// in flight and drops the connection. A check that runs well after its deadline only proves the
/// event loop was busy (replies may be sitting unread), so it re-arms instead of failing anyone.
struct ConnectionStateMachine {
    typealias RequestID = UInt64

    struct Timing: Equatable {
        var ioTimeout: TimeAmount
        var connectTimeout: TimeAmount
        var retryInterval: TimeAmount
    }

    enum Action: Equatable {
        /// Open a connection; report `connected` or `connectFailed`.
        case connect
        /// Write these requests' bytes, in this order.
        case write([RequestID])
        case complete(RequestID, [RedisReply])
        case fail([RequestID], RedisError)
        /// Report `timeoutCheck(scheduledFor:)` at this deadline.
        case scheduleTimeoutCheck(NIODeadline)
        /// Report `connectCheck(scheduledFor:)` at this deadline.
        case scheduleConnectCheck(NIODeadline)
        /// Cancel the scheduled connect check (the connect ended).
        case cancelConnectCheck
        /// Cancel the scheduled timeout check (the connection is gone).
        case cancelTimeoutCheck
        case close
        /// The connection came up or went down (never said for closing at `stop`).
        case statusChanged(up: Bool)
        /// A reply no command waits for: a pub/sub message, else a protocol error (`unexpectedReply`).
        case unsolicited(RedisReply)
    }

    /// How late a check may run before it counts as a sign of a busy loop rather than a slow Redis.
    static let lagAllowance = TimeAmount.milliseconds(10)

    private enum Phase: Equatable {
        case idle
        case connecting(overdue: Bool)
        case connected
    }

    private struct InFlight {
        let id: RequestID
        let expected: Int
        let sent: NIODeadline
    }

    let timing: Timing
    let endpoint: String
    private var phase = Phase.idle
    private var stopped = false
    private var waiting: [(id: RequestID, expected: Int)] = []
    private var inFlight = CircularBuffer<InFlight>()
    /// Replies so far for the oldest request in flight.
    private var headReplies: [RedisReply] = []
    private var nextAttempt = NIODeadline.uptimeNanoseconds(0)
    private var timeoutCheckArmed = false

    init(timing: Timing, endpoint: String) {
        self.timing = timing
        self.endpoint = endpoint
    }

    var isConnected: Bool { phase == .connected }

    mutating func submit(_ id: RequestID, expecting replies: Int, now: NIODeadline) -> [Action] {
        if stopped { return [.fail([id], .unavailable("client stopped"))] }
        switch phase {
        case .connected:
            return write([(id, replies)], now: now)
        case .connecting(let overdue):
            if overdue { return [.fail([id], .unavailable("still connecting to \(endpoint)"))] }
            waiting.append((id, replies))
            return []
        case .idle:
            guard now >= nextAttempt else { return [.fail([id], .unavailable("reconnecting to \(endpoint)"))] }
            waiting.append((id, replies))
            phase = .connecting(overdue: false)
            return [.connect, .scheduleConnectCheck(now + timing.connectTimeout)]
        }
    }

    /// The socket is open. `setup` (AUTH, SELECT), if any, goes before everything waiting.
    mutating func connected(setup: (id: RequestID, expected: Int)?, now: NIODeadline) -> [Action] {
        if stopped {
            phase = .idle
            return [.cancelConnectCheck, .close] + failing(takeWaiting(), .unavailable("client stopped"))
        }
        phase = .connected
        headReplies = []
        let queued = (setup.map { [$0] } ?? []) + waiting
        waiting.removeAll()
        return [.cancelConnectCheck, .statusChanged(up: true)] + write(queued, now: now)
    }

    mutating func connectFailed(_ error: RedisError, now: NIODeadline) -> [Action] {
        phase = .idle
        nextAttempt = now + timing.retryInterval
        return [.cancelConnectCheck] + failing(takeWaiting(), error)
    }

    /// Past `connectTimeout` (judged as for replies), the callers waiting for the connection fail
    /// over; the connect goes on, and later callers fail at once until it ends.
    mutating func connectCheck(scheduledFor deadline: NIODeadline, now: NIODeadline) -> [Action] {
        guard case .connecting = phase else { return [] }
        if Self.loopWasBusy(scheduledFor: deadline, now: now) { return [.scheduleConnectCheck(now + Self.lagAllowance)] }
        phase = .connecting(overdue: true)
        return failing(
            takeWaiting(), .unavailable("\(endpoint): no connection within \(timing.connectTimeout.nanoseconds / 1_000_000) ms"))
    }

    /// The oldest command waiting longer than `ioTimeout` for its reply means a stalled, lost or
    /// overloaded Redis: fail everything in flight (callers fall back) and drop the connection.
    mutating func timeoutCheck(scheduledFor deadline: NIODeadline, now: NIODeadline) -> [Action] {
        timeoutCheckArmed = false
        guard let oldest = inFlight.first else { return [] }
        let due = oldest.sent + timing.ioTimeout
        if now < due { return arm(at: due) }
        if Self.loopWasBusy(scheduledFor: deadline, now: now) { return arm(at: now + Self.lagAllowance) }
        return drop(.timedOut, backOff: true, now: now)
    }

    mutating func received(_ reply: RedisReply) -> [Action] {
        guard let head = inFlight.first else { return [.unsolicited(reply)] }
        headReplies.append(reply)
        guard headReplies.count == head.expected else { return [] }
        inFlight.removeFirst()
        let replies = headReplies
        headReplies = []
        var actions: [Action] = [.complete(head.id, replies)]
        if stopped && inFlight.isEmpty { actions.append(.close) }
        return actions
    }

    /// The bytes could not be read as replies, or a reply came that nothing waited for.
    mutating func protocolError(_ reason: String, now: NIODeadline) -> [Action] {
        drop(.connectionLost(reason), backOff: true, now: now)
    }

    /// The server refused the connection's set-up (a wrong password, an unknown user, a replica
    /// where a master was expected): like a protocol error, but callers learn why.
    mutating func refused(_ reason: String, now: NIODeadline) -> [Action] {
        drop(.refused(reason), backOff: true, now: now)
    }

    /// The socket closed. An idle connection closed by Redis (its `timeout` setting) is no
    /// outage: the next command reconnects at once.
    mutating func closed(now: NIODeadline) -> [Action] {
        drop(.connectionLost("\(endpoint) closed the connection"), backOff: !inFlight.isEmpty, now: now)
    }

    /// Drops the connection on its owner's word (a subscription in doubt); reconnects without back-off.
    mutating func reset(now: NIODeadline) -> [Action] {
        drop(.connectionLost("reset by its owner"), backOff: false, now: now)
    }

    /// Later requests fail; what is in flight is answered first, then the connection closes.
    mutating func stop() -> [Action] {
        stopped = true
        var actions = failing(takeWaiting(), .unavailable("client stopped"))
        if inFlight.isEmpty, phase == .connected { actions.append(.close) }
        return actions
    }

    private mutating func write(_ requests: [(id: RequestID, expected: Int)], now: NIODeadline) -> [Action] {
        guard !requests.isEmpty else { return [] }
        for request in requests { inFlight.append(InFlight(id: request.id, expected: request.expected, sent: now)) }
        return [.write(requests.map(\.id))] + (timeoutCheckArmed ? [] : arm(at: inFlight.first!.sent + timing.ioTimeout))
    }

    private mutating func arm(at deadline: NIODeadline) -> [Action] {
        timeoutCheckArmed = true
        return [.scheduleTimeoutCheck(deadline)]
    }

    private mutating func drop(_ error: RedisError, backOff: Bool, now: NIODeadline) -> [Action] {
        guard phase == .connected else { return [] }
        phase = .idle
        nextAttempt = backOff ? now + timing.retryInterval : now
        timeoutCheckArmed = false
        let failed = inFlight.map(\.id)
        inFlight.removeAll()
        headReplies = []
        var actions: [Action] = [.cancelTimeoutCheck, .close]
        if !stopped { actions.append(.statusChanged(up: false)) }  // closing at stop is no outage
        return actions + failing(failed, error)
    }

    private func failing(_ ids: [RequestID], _ error: RedisError) -> [Action] {
        ids.isEmpty ? [] : [.fail(ids, error)]
    }

    private mutating func takeWaiting() -> [RequestID] {
        defer { waiting.removeAll() }
        return waiting.map(\.id)
    }

    private static func loopWasBusy(scheduledFor deadline: NIODeadline, now: NIODeadline) -> Bool {
        now - deadline > lagAllowance
    }
}
