import CacheCore
import Hummingbird
import HummingbirdCore
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import Synchronization

/// Answers near-cache hits on the event loop, before a request enters Hummingbird: no task, no
/// router, no middleware, and a response encoded when the entry was stored. It answers only what
/// the ordinary path would answer with the same bytes: a plain GET of a declared route, in its
/// canonical spelling, whose near-cache entry is a live 200, while no invalidation is pending.
/// Everything else goes on to Hummingbird unchanged. It counts each hit as the ordinary path does:
/// the recorder (route and key counters, the event stream) and the request metrics of `/metrics`.
final class FastPath: Sendable {
    private let routes: RouteTable
    private let near: NearCache
    private let pending: PendingInvalidations
    private let recorder: EventRecorder
    let dates = HTTPDate()
    private let answeredCount = Atomic<Int>(0)
    /// Hummingbird's `MetricsMiddleware` series for a 200 GET of each route, so `/metrics` counts
    /// these answers with the rest.
    private let metrics: [String: (requests: Counter, duration: Metrics.Timer)]

    init(routes: RouteTable, near: NearCache, pending: PendingInvalidations, recorder: EventRecorder) {
        self.routes = routes
        self.near = near
        self.pending = pending
        self.recorder = recorder
        var metrics: [String: (Counter, Metrics.Timer)] = [:]
        for route in routes.routes.map(\.pattern.description) {
            let dimensions = [("http.route", route), ("http.request.method", "GET"), ("http.response.status_code", "200")]
            metrics[route] = (
                Counter(label: "hb.requests", dimensions: dimensions),
                Metrics.Timer(label: "http.server.request.duration", dimensions: dimensions, preferredDisplayUnit: .seconds)
            )
        }
        self.metrics = metrics
    }

    /// What a request target resolves to: its key and route, or nil for one left to the ordinary path.
    private struct Resolution: Sendable {
        let key: String
        let route: String
    }

    /// Targets already resolved. A target's key depends on the target alone (the declaration's
    /// contract), so it is worked out once, not on every hit; emptied when it reaches `resolvedLimit`.
    /// Longer targets than `targetLimit` go the ordinary way, which bounds what it holds (2.5 MB).
    private let resolved = Mutex<[String: Resolution?]>([:])
    private static let resolvedLimit = 10_000
    private static let targetLimit = 256

    /// The encoded hit for a request target (`/products?featured=true`), or nil to leave it to
    /// the ordinary path.
    func hit(for target: String) -> (hit: EncodedHit, key: String, route: String)? {
        guard pending.isEmpty, target.utf8.count <= Self.targetLimit else { return nil }
        let resolution: Resolution?
        if let known = resolved.withLock({ $0[target] }) {
            resolution = known
        } else {
            resolution = resolve(target)
            resolved.withLock { cache in
                if cache.count >= Self.resolvedLimit { cache.removeAll(keepingCapacity: true) }
                cache[target] = .some(resolution)
            }
        }
        guard let resolution, let hit = near.encodedHit(for: resolution.key) else { return nil }
        return (hit, resolution.key, resolution.route)
    }

    /// The key and route of a target the fast path may answer: a declared route in the spelling the
    /// router matches the same way (not `/products/`, `//products` or a percent-encoded path), valid.
    private func resolve(_ target: String) -> Resolution? {
        let bytes = target.utf8
        guard !bytes.contains(UInt8(ascii: "#")) else { return nil }
        let parts = bytes.split(separator: UInt8(ascii: "?"), maxSplits: 1, omittingEmptySubsequences: false)
        guard let path = parts.first.flatMap({ String($0) }), !path.utf8.contains(UInt8(ascii: "%")) else { return nil }
        let query = parts.count > 1 ? String(parts[1]) ?? "" : ""
        for route in routes.routes {
            guard let values = route.pattern.match(path) else { continue }
            guard route.pattern.path(values) == path, let request = try? routes.resolve(route, path: path, query: query)
            else { return nil }
            return Resolution(key: request.key.description, route: request.policy.route)
        }
        return nil
    }

    /// Hits answered here since the server started (`/cache/stats` `near_cache.fast_path_hits`).
    var answered: Int { answeredCount.load(ordering: .relaxed) }

    /// Counts one answered hit, as the ordinary path's `ResponseCache.fetch` and `MetricsMiddleware` would.
    func count(key: String, route: String, since started: NIODeadline) {
        answeredCount.add(1, ordering: .relaxed)
        let elapsed = NIODeadline.now() - started
        recorder.record(.hit, key: key, route: route, latency: .nanoseconds(elapsed.nanoseconds))
        if let series = metrics[route] {
            series.requests.increment()
            series.duration.recordNanoseconds(elapsed.nanoseconds)
        }
    }
}

/// Whether a connection stays open after a response, by RFC 9112 §9.3: HTTP/1.1 unless
/// `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`. Both paths send the same
/// `Connection` header for it: `close` when it closes, `keep-alive` to an HTTP/1.0 client it keeps.
struct ConnectionRule {
    let keepAlive: Bool
    let isHTTP10: Bool

    init(_ head: HTTPRequestHead) {
        keepAlive = head.isKeepAlive
        isHTTP10 = head.version.major == 1 && head.version.minor == 0
    }

    /// The `Connection` header value to send, or nil for none.
    var header: String? { keepAlive ? (isHTTP10 ? "keep-alive" : nil) : "close" }
}

/// The fast path in the HTTP/1 pipeline, right after the request decoder: it sees requests and
/// responses as NIO's HTTP/1 parts (the version and `Connection` header included), and writes
/// its encoded answers past the response encoder. It answers a request only when every earlier
/// request on the connection has been answered, so pipelined responses keep their order, and
/// only one that keeps the connection open; and it applies one `ConnectionRule` to both paths'
/// responses.
final class FastPathHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let fastPath: FastPath
    /// Where the encoded answers are written: past the response encoder, straight to the socket.
    private var encoder: ChannelHandlerContext?
    /// The rules of the requests passed on whose response has not started, oldest first.
    private var passedOn = CircularBuffer<ConnectionRule>()
    /// Requests passed on whose response has not ended.
    private var inFlight = 0
    /// A request answered here, between its head and its end (always one that keeps the connection:
    /// closing is Hummingbird's, which drains what it wrote first).
    private var answering: (hit: EncodedHit, key: String, route: String, rule: ConnectionRule, started: NIODeadline)?
    /// Wrote since the last flush.
    private var unflushed = false
    /// After a request that closes the connection nothing more is read.
    private var closing = false

    init(fastPath: FastPath) { self.fastPath = fastPath }

    func handlerAdded(context: ChannelHandlerContext) {
        encoder = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
    }

    func handlerRemoved(context: ChannelHandlerContext) { encoder = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case .head(var head):
            let rule = ConnectionRule(head)
            if inFlight == 0, rule.keepAlive, encoder != nil, Self.mayAnswer(head), let found = fastPath.hit(for: head.uri) {
                answering = (found.hit, found.key, found.route, rule, .now())
                return
            }
            inFlight += 1
            passedOn.append(rule)
            if !rule.keepAlive {
                closing = true
                // Hummingbird closes after a response only on `Connection: close`; HTTP/1.0 says it by omission.
                head.headers.replaceOrAdd(name: "Connection", value: "close")
            }
            context.fireChannelRead(wrapInboundOut(.head(head)))
        case .body:
            if answering == nil { context.fireChannelRead(data) }
        case .end:
            guard let answer = answering else {
                context.fireChannelRead(data)
                return
            }
            answering = nil
            send(answer, context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if unflushed {
            unflushed = false
            encoder?.flush()
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.code >= 200:
            if let rule = passedOn.popFirst(), let connection = rule.header {
                head.headers.replaceOrAdd(name: "Connection", value: connection)
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            inFlight = max(0, inFlight - 1)
            context.write(data, promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }

    private func send(
        _ answer: (hit: EncodedHit, key: String, route: String, rule: ConnectionRule, started: NIODeadline),
        context: ChannelHandlerContext
    ) {
        guard let encoder else { return }
        var buffer = context.channel.allocator.buffer(capacity: answer.hit.size)
        answer.hit.write(into: &buffer, date: fastPath.dates.now(), connection: answer.rule.header)
        fastPath.count(key: answer.key, route: answer.route, since: answer.started)
        encoder.write(NIOAny(IOData.byteBuffer(buffer)), promise: nil)
        unflushed = true
    }

    /// A GET that carries nothing the ordinary path must see: no body, no `Expect`, no `Upgrade`,
    /// no condition (a 304 is the ordinary path's).
    private static func mayAnswer(_ head: HTTPRequestHead) -> Bool {
        guard head.method == .GET, head.version.major == 1 else { return false }
        for name in ["content-length", "transfer-encoding", "expect", "upgrade", "if-none-match"]
        where head.headers.contains(name: name) {
            return false
        }
        return true
    }
}

/// Hummingbird's HTTP/1 child channel with the fast path put in front of its HTTP types codec.
struct FastPathChannel: ServerChildChannel {
    let inner: HTTP1Channel
    let fastPath: FastPath

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try operations.addHandler(FastPathHandler(fastPath: fastPath), position: .after(decoder))
            return value
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}
