import Foundation
import Synchronization

/// A dedicated thread that owns one Redis connection, drains a queue of requests and sends
/// everything queued as one pipeline. Async callers never block a thread of the
/// cooperative pool, and many concurrent requests cost one write and one read burst.
///
/// It reconnects by itself: while the connection is down, requests fail at once (callers
/// degrade instead of waiting) and a reconnect is tried at most every `retryInterval`.
public final class RedisWorker: @unchecked Sendable {
    public struct Options: Sendable {
        /// How long one read or write may block, and so how long a request can wait on a stalled Redis.
        public var ioTimeout: Duration
        public var connectTimeout: Duration
        /// A request queued for longer than this fails without being sent.
        public var queueDeadline: Duration
        public var retryInterval: Duration

        public init(ioTimeout: Duration, connectTimeout: Duration? = nil, queueDeadline: Duration? = nil,
                    retryInterval: Duration = .milliseconds(250)) {
            self.ioTimeout = ioTimeout
            self.connectTimeout = connectTimeout ?? ioTimeout
            self.queueDeadline = queueDeadline ?? ioTimeout
            self.retryInterval = retryInterval
        }

        /// For the request path: give up fast, the caller serves from the origin.
        public static let requestPath = Options(ioTimeout: .milliseconds(50))
        /// For writes, admin calls and publishing: wait up to about a second.
        public static let background = Options(ioTimeout: .seconds(1), connectTimeout: .milliseconds(500),
                                                queueDeadline: .seconds(1))
    }

    private struct Request {
        let commands: [RedisCommand]
        let enqueued: ContinuousClock.Instant
        let continuation: UnsafeContinuation<[RedisReply], any Error>
    }

    public let endpoint: RedisEndpoint
    public let name: String
    private let options: Options
    private let condition = NSCondition()
    private var queue: [Request] = []
    private var stopped = false
    private let up = Atomic<Bool>(false)
    private let changes = Mutex<(@Sendable (Bool) -> Void)?>(nil)

    public init(endpoint: RedisEndpoint, name: String, options: Options) {
        self.endpoint = endpoint
        self.name = name
        self.options = options
        let thread = Thread { [self] in
            // Named from inside: on Linux, `Thread.name` set before start does not reach `top -H` or perf.
            Thread.current.name = String("redis-\(name)".prefix(15))
            run()
        }
        thread.start()
    }

    /// True while the worker holds a working connection.
    public var isUp: Bool { up.load(ordering: .relaxed) }

    /// Called on the worker thread whenever the connection goes up or down.
    public func onStateChange(_ handler: @escaping @Sendable (Bool) -> Void) {
        changes.withLock { $0 = handler }
    }

    /// Sends `commands` as one pipeline and returns one reply per command.
    public func send(_ commands: [RedisCommand]) async throws -> [RedisReply] {
        if commands.isEmpty { return [] }
        return try await withUnsafeThrowingContinuation { continuation in
            condition.lock()
            if stopped {
                condition.unlock()
                continuation.resume(throwing: RedisError.unavailable("client stopped"))
                return
            }
            queue.append(Request(commands: commands, enqueued: .now, continuation: continuation))
            condition.signal()
            condition.unlock()
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

    /// Stops the thread after it has answered everything already queued.
    public func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    deinit { stop() }

    private func run() {
        var connection: RedisConnection?
        var nextAttempt = ContinuousClock.now
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if queue.isEmpty && stopped {
                condition.unlock()
                return
            }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            condition.unlock()

            let now = ContinuousClock.now
            let live = batch.filter { request in
                guard now - request.enqueued <= options.queueDeadline else {
                    request.continuation.resume(throwing: RedisError.timedOut)
                    return false
                }
                return true
            }
            if live.isEmpty { continue }

            if connection == nil && now >= nextAttempt {
                do {
                    connection = try RedisConnection(endpoint: endpoint, connectTimeout: options.connectTimeout,
                                                     ioTimeout: options.ioTimeout)
                    setUp(true)
                } catch {
                    nextAttempt = now + options.retryInterval
                    fail(live, with: error)
                    continue
                }
            }
            guard let current = connection else {
                fail(live, with: RedisError.unavailable("reconnecting to \(endpoint)"))
                continue
            }
            do {
                let replies = try current.pipeline(live.flatMap(\.commands))
                var offset = 0
                for request in live {
                    let count = request.commands.count
                    request.continuation.resume(returning: Array(replies[offset..<offset + count]))
                    offset += count
                }
            } catch {
                connection = nil
                nextAttempt = ContinuousClock.now + options.retryInterval
                setUp(false)
                fail(live, with: error)
            }
        }
    }

    private func fail(_ requests: [Request], with error: any Error) {
        for request in requests { request.continuation.resume(throwing: error) }
    }

    private func setUp(_ value: Bool) {
        guard up.exchange(value, ordering: .relaxed) != value else { return }
        changes.withLock { $0 }?(value)
    }
}

/// An error reply from the server to a command sent with `call`.
public struct ServerError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { "Redis error: \(message)" }
}
