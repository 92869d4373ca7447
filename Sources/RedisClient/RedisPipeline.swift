import CacheCore
import NIOCore
import NIOPosix
import Synchronization

/// One Redis connection driven by a SwiftNIO event loop, shared by any number of tasks.
///
/// Callers hand their commands to the loop; everything that arrives within one loop tick goes
/// out in one write, and replies are matched to callers in order as hiredis parses them. The
/// loop is the one the HTTP server already runs, so a request costs no extra thread wake-up,
/// and no thread of Swift's cooperative pool ever blocks on Redis.
///
/// It degrades instead of waiting: while disconnected, requests fail at once and a reconnect
/// is tried at most every `retryInterval`; a reply late by more than `ioTimeout` fails every
/// request in flight and drops the connection (a stalled Redis costs callers `ioTimeout`, no more).
public final class RedisPipeline: Sendable {
    public struct Options: Sendable {
        /// How long a sent command may wait for its reply.
        public var ioTimeout: Duration
        public var connectTimeout: Duration
        public var retryInterval: Duration

        public init(ioTimeout: Duration, connectTimeout: Duration? = nil, retryInterval: Duration = .milliseconds(250)) {
            self.ioTimeout = ioTimeout
            self.connectTimeout = connectTimeout ?? ioTimeout
            self.retryInterval = retryInterval
        }

        /// For the request path: give up fast, the caller serves from the origin.
        public static let requestPath = Options(ioTimeout: .milliseconds(50))
        /// For writes, admin calls and publishing: wait up to about a second.
        public static let background = Options(ioTimeout: .seconds(1), connectTimeout: .milliseconds(500))
    }

    public let endpoint: RedisEndpoint
    public let name: String
    private let core: NIOLoopBoundBox<PipelineCore>
    private let status: ConnectionStatus

    public init(endpoint: RedisEndpoint, name: String, options: Options,
                on eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()) {
        self.endpoint = endpoint
        self.name = name
        status = ConnectionStatus()
        core = .makeBoxSendingValue(PipelineCore(endpoint: endpoint, options: options, eventLoop: eventLoop, status: status),
                                    eventLoop: eventLoop)
    }

    /// True while a connection is established.
    public var isUp: Bool { status.isUp }

    /// Called on the event loop whenever the connection goes up or down.
    public func onStateChange(_ handler: @escaping @Sendable (Bool) -> Void) {
        status.onChange(handler)
    }

    /// Called on the event loop with each pub/sub message (`message`/`pmessage`), and with any other
    /// reply no command is waiting for. Messages never complete a command, even one that is pending.
    public func onPush(_ handler: @escaping @Sendable (RedisReply) -> Void) {
        status.onPush(handler)
    }

    /// Sends `commands` as one pipeline and returns one reply per command.
    public func send(_ commands: [RedisCommand]) async throws -> [RedisReply] {
        if commands.isEmpty { return [] }
        let core = self.core
        let outgoing = Outgoing(commands)  // encoded here, on the caller's thread
        return try await withUnsafeThrowingContinuation { continuation in
            core.eventLoop.execute {
                core.value.submit(outgoing) { continuation.resume(with: $0) }
            }
        }
    }

    public func send(_ command: RedisCommand) async throws -> RedisReply {
        try await send([command])[0]
    }

    /// Sends one command; `.error` replies become thrown errors.
    @discardableResult
    public func call(_ words: String...) async throws -> RedisReply {
        try await send(RedisCommand(words)).orThrow()
    }

    /// Drops the connection (failing what is in flight); the next command opens a new one. For a
    /// subscribed connection whose state is in doubt.
    public func reconnect() {
        let core = self.core
        core.eventLoop.execute { core.value.dropConnection(RedisError.connectionLost("reset by its owner"), backOff: false) }
    }

    /// Closes the connection once everything already sent is answered; later sends fail.
    public func stop() {
        let core = self.core
        core.eventLoop.execute { core.value.stop() }
    }

    deinit { stop() }
}

/// Whether the connection is up, readable from any thread, with a change callback; and where
/// unrequested replies (pub/sub messages) go.
private final class ConnectionStatus: Sendable {
    private let up = Atomic<Bool>(false)
    private let handler = Mutex<(@Sendable (Bool) -> Void)?>(nil)
    private let pushHandler = Mutex<(@Sendable (RedisReply) -> Void)?>(nil)

    func onPush(_ handler: @escaping @Sendable (RedisReply) -> Void) { pushHandler.withLock { $0 = handler } }

    /// Hands over a pushed reply; false if nobody listens (then it is a protocol error).
    func push(_ reply: RedisReply) -> Bool {
        guard let handler = pushHandler.withLock({ $0 }) else { return false }
        handler(reply)
        return true
    }

    var isUp: Bool { up.load(ordering: .relaxed) }

    func onChange(_ handler: @escaping @Sendable (Bool) -> Void) { self.handler.withLock { $0 = handler } }

    func set(_ value: Bool, notify: Bool = true) {
        guard up.exchange(value, ordering: .relaxed) != value, notify else { return }
        handler.withLock { $0 }?(value)
    }
}

/// Commands already encoded by the caller, and how many replies they will get.
private struct Outgoing: Sendable {
    let bytes: [UInt8]
    let count: Int
}

extension Outgoing {
    init(_ commands: [RedisCommand]) { self.init(bytes: RedisCommand.encode(commands), count: commands.count) }
}

/// The connection's state; lives on its event loop and is touched only there.
private final class PipelineCore {
    typealias Completion = (Result<[RedisReply], any Error>) -> Void

    /// Commands written and not yet fully answered, oldest first.
    private struct InFlight {
        let expected: Int
        let sent: NIODeadline
        let completion: Completion
    }

    let eventLoop: any EventLoop
    private let endpoint: RedisEndpoint
    private let options: Options
    private let status: ConnectionStatus
    private var channel: (any Channel)?
    private var connecting = false
    /// The connect in progress took longer than `connectTimeout`: callers fail fast while it goes on.
    private var connectOverdue = false
    private var connectCheck: Scheduled<Void>?
    private var waiting: [(commands: Outgoing, completion: Completion)] = []
    private var inFlight = CircularBuffer<InFlight>()
    /// Replies so far for the oldest request in flight (kept out of the buffer, which would copy on append).
    private var headReplies: [RedisReply] = []
    private var outgoing: ByteBuffer?
    private var nextAttempt = NIODeadline.uptimeNanoseconds(0)
    private var timeoutCheck: Scheduled<Void>?
    private var stopped = false
    private var reader = ReplyReader()

    typealias Options = RedisPipeline.Options

    init(endpoint: RedisEndpoint, options: Options, eventLoop: any EventLoop, status: ConnectionStatus) {
        self.endpoint = endpoint
        self.options = options
        self.eventLoop = eventLoop
        self.status = status
    }

    func submit(_ commands: Outgoing, completion: @escaping Completion) {
        if stopped { return completion(.failure(RedisError.unavailable("client stopped"))) }
        if channel != nil { return write(commands, completion: completion) }
        if connecting {
            if connectOverdue { return completion(.failure(RedisError.unavailable("still connecting to \(endpoint)"))) }
            return waiting.append((commands, completion))
        }
        guard NIODeadline.now() >= nextAttempt else {
            return completion(.failure(RedisError.unavailable("reconnecting to \(endpoint)")))
        }
        waiting.append((commands, completion))
        connect()
    }

    func stop() {
        stopped = true
        for request in waiting { request.completion(.failure(RedisError.unavailable("client stopped"))) }
        waiting.removeAll()
        if inFlight.isEmpty { channel?.close(promise: nil) }
    }

    // MARK: Writing

    /// Queues the commands for this tick's single flush.
    private func write(_ commands: Outgoing, completion: @escaping Completion) {
        let scheduleFlush = outgoing == nil
        var buffer = outgoing ?? ByteBufferAllocator().buffer(capacity: 4096)
        outgoing = nil  // one owner while appending, or the buffer would be copied on write
        buffer.writeBytes(commands.bytes)
        outgoing = buffer
        inFlight.append(InFlight(expected: commands.count, sent: .now(), completion: completion))
        if scheduleFlush { eventLoop.assumeIsolated().execute { self.flush() } }
        if timeoutCheck == nil { scheduleTimeoutCheck(at: inFlight.first!.sent + timeAmount(options.ioTimeout)) }
    }

    private func flush() {
        guard let buffer = outgoing, let channel else { return }
        outgoing = nil
        channel.writeAndFlush(buffer, promise: nil)
    }

    private func scheduleTimeoutCheck(at deadline: NIODeadline) {
        timeoutCheck = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { self.checkTimeout(scheduledFor: deadline) }
    }

    /// The oldest command waiting longer than `ioTimeout` for its reply means a stalled, lost or
    /// overloaded Redis: fail everything in flight (callers fall back to the store) and reconnect.
    private func checkTimeout(scheduledFor deadline: NIODeadline) {
        timeoutCheck = nil
        guard let oldest = inFlight.first else { return }
        let now = NIODeadline.now()
        let due = oldest.sent + timeAmount(options.ioTimeout)
        if now < due { return scheduleTimeoutCheck(at: due) }
        if Self.loopWasBusy(scheduledFor: deadline, now: now) { return scheduleTimeoutCheck(at: now + Self.lagAllowance) }
        dropConnection(RedisError.timedOut)
    }

    /// A check that runs well after its deadline shows that this event loop was busy, not that Redis
    /// was slow: replies may be sitting unread. It then only re-arms, giving the loop a pass over I/O;
    /// a verdict needs a check that ran on time. (A cold start of a large binary can hold a loop for
    /// hundreds of milliseconds.)
    private static let lagAllowance = TimeAmount.milliseconds(10)

    private static func loopWasBusy(scheduledFor deadline: NIODeadline, now: NIODeadline) -> Bool {
        now - deadline > lagAllowance
    }

    // MARK: Reading

    func received(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { reader.feed($0) }
        do {
            while let reply = try reader.next() {
                if reply.isPubSubMessage, status.push(reply) { continue }
                guard let head = inFlight.first else {
                    if status.push(reply) { continue }
                    throw RedisError.connectionLost("unexpected reply")
                }
                headReplies.append(reply)
                if headReplies.count == head.expected {
                    inFlight.removeFirst()
                    let replies = headReplies
                    headReplies = []
                    head.completion(.success(replies))
                }
            }
        } catch {
            dropConnection(error)
        }
        if stopped && inFlight.isEmpty { channel?.close(promise: nil) }
    }

    // MARK: Connection

    private func connect() {
        connecting = true
        connectOverdue = false
        scheduleConnectCheck(at: .now() + timeAmount(options.connectTimeout))
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.seconds(5))  // the hard bound; callers stop waiting at `connectTimeout`
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { [core = NIOLoopBound(self, eventLoop: eventLoop)] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ReplyHandler(core: core.value))
                }
            }
        let connected = switch endpoint.address {
        case .tcp(let host, let port):
            // An IP address needs no resolver (which would hop to another thread and back).
            if let address = try? SocketAddress(ipAddress: host, port: port) {
                bootstrap.connect(to: address)
            } else {
                bootstrap.connect(host: host, port: port)
            }
        case .unix(let path): bootstrap.connect(unixDomainSocketPath: path)
        }
        connected.assumeIsolated().whenComplete { result in
            self.connecting = false
            self.connectOverdue = false
            self.connectCheck?.cancel()
            self.connectCheck = nil
            switch result {
            case .success(let channel): self.connected(channel)
            case .failure(let error):
                self.nextAttempt = .now() + self.timeAmount(self.options.retryInterval)
                self.failWaiting(RedisError.unavailable("\(self.endpoint): \(error)"))
            }
        }
    }

    private func scheduleConnectCheck(at deadline: NIODeadline) {
        connectCheck = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { self.checkConnect(scheduledFor: deadline) }
    }

    /// Past `connectTimeout` (judged as for replies), the callers waiting for the connection fail over.
    private func checkConnect(scheduledFor deadline: NIODeadline) {
        connectCheck = nil
        guard connecting else { return }
        let now = NIODeadline.now()
        if Self.loopWasBusy(scheduledFor: deadline, now: now) { return scheduleConnectCheck(at: now + Self.lagAllowance) }
        connectOverdue = true
        failWaiting(RedisError.unavailable("\(endpoint): no connection within \(options.connectTimeout)"))
    }

    private func connected(_ channel: any Channel) {
        if stopped {
            channel.close(promise: nil)
            return failWaiting(RedisError.unavailable("client stopped"))
        }
        self.channel = channel
        reader = ReplyReader()
        var setup: [RedisCommand] = []
        if let password = endpoint.password { setup.append(RedisCommand("AUTH", password)) }
        if endpoint.database != 0 { setup.append(RedisCommand("SELECT", String(endpoint.database))) }
        if !setup.isEmpty {
            write(Outgoing(setup)) { result in
                if case .success(let replies) = result, let refusal = replies.first(where: \.isError), case .error(let message) = refusal {
                    self.dropConnection(RedisError.unavailable("\(self.endpoint): \(message)"))
                }
            }
        }
        status.set(true)
        let queued = waiting
        waiting.removeAll()
        for request in queued { write(request.commands, completion: request.completion) }
    }

    func closed(_ closedChannel: any Channel) {
        guard let channel, channel === closedChannel else { return }
        // An idle connection closed by Redis (its `timeout` setting) is no outage: reconnect at once.
        dropConnection(RedisError.connectionLost("\(endpoint) closed the connection"), backOff: !inFlight.isEmpty)
    }

    func dropConnection(_ error: any Error, backOff: Bool = true) {
        guard let channel else { return }
        self.channel = nil
        outgoing = nil
        timeoutCheck?.cancel()
        timeoutCheck = nil
        channel.close(promise: nil)
        nextAttempt = backOff ? .now() + timeAmount(options.retryInterval) : .now()
        status.set(false, notify: !stopped)  // closing at stop is no outage
        let failed = inFlight
        inFlight.removeAll()
        headReplies = []
        for request in failed { request.completion(.failure(error)) }
    }

    private func failWaiting(_ error: any Error) {
        let failed = waiting
        waiting.removeAll()
        for request in failed { request.completion(.failure(error)) }
    }

    private func timeAmount(_ duration: Duration) -> TimeAmount {
        .microseconds(Int64(duration.wholeMicroseconds))
    }
}

/// Passes the connection's bytes and its end to the core.
private final class ReplyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let core: PipelineCore

    init(core: PipelineCore) { self.core = core }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        core.received(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        core.closed(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
