import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// One TCP connection that sends bytes exactly as given and keeps every byte that comes back:
/// for what an HTTP client library hides (pipelining, HTTP/1.0, `Connection` rules, exact bytes).
public final class RawConnection: Sendable {
    private let channel: any Channel
    private let received: Received

    final class Received: Sendable {
        let state = Mutex<(bytes: [UInt8], closed: Bool)>(([], false))
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: Received
        init(_ received: Received) { self.received = received }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(buffer: unwrapInboundIn(data))
            received.state.withLock { $0.bytes += bytes }
        }

        func channelInactive(context: ChannelHandlerContext) {
            received.state.withLock { $0.closed = true }
        }
    }

    private init(channel: any Channel, received: Received) {
        self.channel = channel
        self.received = received
    }

    public static func open(port: Int, host: String = "127.0.0.1") async throws -> RawConnection {
        let received = Received()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(received)) }
            }
            .connect(host: host, port: port).get()
        return RawConnection(channel: channel, received: received)
    }

    public func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    /// Everything received so far, and whether the server closed the connection.
    public var snapshot: (bytes: [UInt8], closed: Bool) { received.state.withLock { $0 } }

    /// Waits until `count` complete responses have arrived (or the connection closed, or `timeout`),
    /// and returns the responses received.
    public func responses(_ count: Int, timeout: Duration = .seconds(10)) async -> [RawResponse] {
        await waitUntil(timeout: timeout, every: .milliseconds(5)) {
            let now = self.snapshot
            return now.closed || RawResponse.parse(now.bytes).count >= count
        }
        return RawResponse.parse(snapshot.bytes)
    }

    public func close() { channel.close(promise: nil) }
}

/// One HTTP/1.1 response as received: its head's lines and its `Content-Length` body.
public struct RawResponse: Sendable, Equatable {
    /// The status line, then each header line, as sent.
    public let lines: [String]
    public let body: [UInt8]
    /// Every byte of it.
    public let bytes: [UInt8]

    public var statusLine: String { lines.first ?? "" }

    /// The first value of a header (case-insensitive name), or nil.
    public func header(_ name: String) -> String? {
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// The text with the `Date` value blanked: two responses sent in different seconds compare equal.
    public var textWithoutDate: String {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.split(separator: "\r\n", omittingEmptySubsequences: false).map {
            $0.hasPrefix("Date: ") ? "Date: -" : String($0)
        }.joined(separator: "\r\n")
    }

    /// The complete responses at the start of `bytes`, in order.
    public static func parse(_ bytes: [UInt8]) -> [RawResponse] {
        var responses: [RawResponse] = []
        var start = 0
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while let headEnd = firstIndex(of: separator, in: bytes, from: start) {
            let head = String(decoding: bytes[start..<headEnd], as: UTF8.self)
            let lines = head.components(separatedBy: "\r\n")
            let length =
                lines.dropFirst().compactMap { line -> Int? in
                    let parts = line.split(separator: ":", maxSplits: 1)
                    return parts.count == 2 && parts[0].lowercased() == "content-length"
                        ? Int(parts[1].trimmingCharacters(in: .whitespaces)) : nil
                }.first ?? 0
            let bodyStart = headEnd + separator.count
            guard bytes.count >= bodyStart + length else { break }
            responses.append(
                RawResponse(
                    lines: lines, body: Array(bytes[bodyStart..<(bodyStart + length)]),
                    bytes: Array(bytes[start..<(bodyStart + length)])))
            start = bodyStart + length
        }
        return responses
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = start
        while index <= haystack.count - needle.count {
            if haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
