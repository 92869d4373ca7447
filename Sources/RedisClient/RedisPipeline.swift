import CacheCore
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
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

    public init(
        endpoint: RedisEndpoint, name: String, options: Options,
        on eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()
    ) {
        self.endpoint = endpoint
        self.name = name
        status = ConnectionStatus()
        core = .makeBoxSendingValue(
            PipelineCore(endpoint: endpoint, options: options, eventLoop: eventLoop, status: status),
            eventLoop: eventLoop)
    }

    /// True while a connection is established.
    public var isUp: Bool { status.isUp }

    /// Why the last command failed or the last connection attempt ended (no password in it).
    public var lastError: String? { status.lastError }

    /// `host:port` of the server it last connected to: for a Sentinel endpoint, the master then.
    public var connectedAddress: String? { status.connectedAddress }

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
        core.eventLoop.execute { core.value.reset() }
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
    private let lastFailure = Mutex<String?>(nil)
    private let address = Mutex<String?>(nil)

    var connectedAddress: String? {
        get { address.withLock { $0 } }
        set { address.withLock { $0 = newValue } }
    }

    var lastError: String? {
        get { lastFailure.withLock { $0 } }
        set { lastFailure.withLock { $0 = newValue } }
    }

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

/// Performs what the connection's `ConnectionStateMachine` decides: owns the socket, the
/// timers, the encoded commands and their callers. Lives on its event loop and is touched only there.
private final class PipelineCore {
    typealias Completion = (Result<[RedisReply], any Error>) -> Void
    typealias RequestID = ConnectionStateMachine.RequestID

    let eventLoop: any EventLoop
    private let endpoint: RedisEndpoint
    private let status: ConnectionStatus
    private var machine: ConnectionStateMachine
    private var channel: (any Channel)?
    private var callers: [RequestID: Completion] = [:]
    /// Encoded commands not written yet (kept only until they are).
    private var unsent: [RequestID: Outgoing] = [:]
    private var lastID: RequestID = 0
    private var connectCheck: Scheduled<Void>?
    private var timeoutCheck: Scheduled<Void>?
    private var outgoing: ByteBuffer?
    private var reader = ReplyReader()
    /// For `rediss://`: the context, or why there is none (every connect then fails with it).
    private let tls: Result<NIOSSLContext, RedisTLS.Unusable>?
    private let locator: SentinelLocator?
    /// A TLS connection whose handshake has not finished: not connected yet.
    private var handshaking: (any Channel)?

    init(endpoint: RedisEndpoint, options: RedisPipeline.Options, eventLoop: any EventLoop, status: ConnectionStatus) {
        self.endpoint = endpoint
        tls = endpoint.tls.map { tls in Result { () throws(RedisTLS.Unusable) in try tls.makeContext() } }
        if case .sentinel(let group) = endpoint.address { locator = SentinelLocator.shared(for: group) } else { locator = nil }
        self.eventLoop = eventLoop
        self.status = status
        let timing = ConnectionStateMachine.Timing(
            ioTimeout: Self.timeAmount(options.ioTimeout), connectTimeout: Self.timeAmount(options.connectTimeout),
            retryInterval: Self.timeAmount(options.retryInterval))
        machine = ConnectionStateMachine(timing: timing, endpoint: "\(endpoint)")
    }

    func submit(_ commands: Outgoing, completion: @escaping Completion) {
        let id = register(commands, completion)
        perform(machine.submit(id, expecting: commands.count, now: .now()))
    }

    func stop() { perform(machine.stop()) }

    func reset() { perform(machine.reset(now: .now())) }

    private func register(_ commands: Outgoing, _ completion: @escaping Completion) -> RequestID {
        lastID += 1
        callers[lastID] = completion
        unsent[lastID] = commands
        return lastID
    }

    private func perform(_ actions: [ConnectionStateMachine.Action]) {
        // Recorded before anything else, so that a handler told of the connection going down can say why.
        for case .fail(_, let error) in actions { status.lastError = "\(error)" }
        for action in actions {
            switch action {
            case .connect: connect()
            case .write(let ids): write(ids)
            case .complete(let id, let replies): callers.removeValue(forKey: id)?(.success(replies))
            case .fail(let ids, let error):
                for id in ids {
                    unsent[id] = nil
                    callers.removeValue(forKey: id)?(.failure(error))
                }
            case .scheduleTimeoutCheck(let deadline):
                timeoutCheck = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
                    self.perform(self.machine.timeoutCheck(scheduledFor: deadline, now: .now()))
                }
            case .scheduleConnectCheck(let deadline):
                connectCheck = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
                    self.perform(self.machine.connectCheck(scheduledFor: deadline, now: .now()))
                }
            case .cancelTimeoutCheck:
                timeoutCheck?.cancel()
                timeoutCheck = nil
            case .cancelConnectCheck:
                connectCheck?.cancel()
                connectCheck = nil
            case .close:
                outgoing = nil
                channel?.close(promise: nil)
                channel = nil
            case .statusChanged(let up): status.set(up)
            case .unsolicited(let reply):
                if !status.push(reply) { perform(machine.protocolError("unexpected reply", now: .now())) }
            }
        }
    }

    /// Queues the requests' bytes for this tick's single flush.
    private func write(_ ids: [RequestID]) {
        let scheduleFlush = outgoing == nil
        var buffer = outgoing ?? ByteBufferAllocator().buffer(capacity: 4096)
        outgoing = nil  // one owner while appending, or the buffer would be copied on write
        for id in ids { if let commands = unsent.removeValue(forKey: id) { buffer.writeBytes(commands.bytes) } }
        outgoing = buffer
        if scheduleFlush { eventLoop.assumeIsolated().execute { self.flush() } }
    }

    private func flush() {
        guard let buffer = outgoing, let channel else { return }
        outgoing = nil
        channel.writeAndFlush(buffer, promise: nil)
    }

    func received(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { reader.feed($0) }
        do {
            while let reply = try reader.next() {
                if reply.isPubSubMessage, status.push(reply) { continue }
                perform(machine.received(reply))
                // A master demoted to a replica: find the master again.
                if locator != nil, case .error(let message) = reply, message.hasPrefix("READONLY") {
                    perform(machine.reset(now: .now()))
                }
            }
        } catch {
            perform(machine.protocolError("\(error)", now: .now()))
        }
    }

    /// Finds the address (through Sentinel if need be), then opens the socket, TLS on top if asked.
    private func connect() {
        guard let locator else { return open(endpoint.address) }
        eventLoop.makeFutureWithTask { try await locator.master() }.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let master): self.open(.tcp(host: master.host, port: master.port))
            case .failure(let error):
                // `master()` throws only `RedisError`; the future hands it back untyped.
                self.perform(self.machine.connectFailed(error as? RedisError ?? .unavailable("\(error)"), now: .now()))
            }
        }
    }

    private func open(_ address: RedisEndpoint.Address) {
        let context: NIOSSLContext?
        switch tls {
        case .failure(let unusable)?:
            return perform(machine.connectFailed(.tls(unusable.description), now: .now()))
        case .success(let made)?: context = made
        case nil: context = nil
        }
        let serverName: String? =
            if case .tcp(let host, _) = address, (try? SocketAddress(ipAddress: host, port: 0)) == nil { host } else { nil }
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.seconds(5))  // the hard bound; callers stop waiting at `connectTimeout`
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { [core = NIOLoopBound(self, eventLoop: eventLoop)] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: context, serverHostname: serverName))
                    }
                    try channel.pipeline.syncOperations.addHandler(ReplyHandler(core: core.value))
                }
            }
        let shown: String
        let connected: EventLoopFuture<any Channel>
        switch address {
        case .tcp(let host, let port):
            shown = "\(host):\(port)"
            // An IP address needs no resolver (which would hop to another thread and back).
            if let socket = try? SocketAddress(ipAddress: host, port: port) {
                connected = bootstrap.connect(to: socket)
            } else {
                connected = bootstrap.connect(host: host, port: port)
            }
        case .unix(let path):
            shown = path
            connected = bootstrap.connect(unixDomainSocketPath: path)
        case .sentinel:
            preconditionFailure("a sentinel address is resolved before connecting")
        }
        connected.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel):
                self.status.connectedAddress = shown
                if context == nil { self.connected(channel) } else { self.handshaking = channel }
            case .failure(let error):
                self.perform(self.machine.connectFailed(.unavailable("\(self.endpoint): \(error)"), now: .now()))
            }
        }
    }

    /// The TLS handshake finished: the connection is usable.
    func handshakeCompleted(_ channel: any Channel) {
        guard handshaking === channel else { return }
        handshaking = nil
        connected(channel)
    }

    /// The connection failed before it was usable: a refused handshake, a certificate that does not
    /// verify, or closed during the handshake.
    func failedBeforeReady(_ channel: any Channel, _ reason: String) {
        guard handshaking === channel else { return }
        handshaking = nil
        channel.close(promise: nil)
        perform(machine.connectFailed(.tls("\(endpoint): TLS handshake failed: \(reason)"), now: .now()))
    }

    private func connected(_ channel: any Channel) {
        self.channel = channel
        reader = ReplyReader()
        var setup: [RedisCommand] = []
        if let password = endpoint.password {
            setup.append(endpoint.username.map { RedisCommand("AUTH", $0, password) } ?? RedisCommand("AUTH", password))
        }
        if endpoint.database != 0 { setup.append(RedisCommand("SELECT", String(endpoint.database))) }
        let confirmsRole = locator != nil
        if confirmsRole { setup.append(RedisCommand("ROLE")) }
        let setupID =
            setup.isEmpty
            ? nil
            : register(Outgoing(setup)) { result in
                guard case .success(let replies) = result else { return }
                if let refusal = replies.first(where: \.isError), case .error(let message) = refusal {
                    self.perform(self.machine.refused("\(self.endpoint): \(message)", now: .now()))
                } else if confirmsRole, let role = replies.last?.elements.first?.string, role != "master" {
                    self.perform(
                        self.machine.refused(
                            "\(self.endpoint): the server Sentinel named is a \(role), not the master", now: .now()))
                }
            }
        perform(machine.connected(setup: setupID.map { ($0, setup.count) }, now: .now()))
    }

    func closed(_ closedChannel: any Channel) {
        if handshaking === closedChannel { return failedBeforeReady(closedChannel, "the server closed the connection") }
        guard let channel, channel === closedChannel else { return }
        perform(machine.closed(now: .now()))
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
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

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { core.handshakeCompleted(context.channel) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        core.failedBeforeReady(context.channel, "\(error)")
        context.close(promise: nil)
    }
}
