import Foundation
import Hummingbird
import NIOHTTP1
import Synchronization

/// A near-cache hit as the ordinary path sends it, encoded once when the entry is stored: the
/// status line and headers up to `Date`, and the rest. The fast path (`FastPathHandler`) only adds
/// the `Date` of the current second and, when the connection rules ask, a `Connection` header.
/// The headers come from the same `CacheScope.cachedOK` the ordinary path answers with, in the
/// order Hummingbird writes them (the response's own, then `Date`, then `Server`), so both paths
/// send the same bytes.
struct EncodedHit: Sendable {
    let beforeDate: [UInt8]
    /// `Server: …\r\n`, or nothing without a server name.
    let serverLine: [UInt8]
    let body: [UInt8]

    init(_ response: Response, body: [UInt8], serverName: String?) {
        // The reason phrase NIO's encoder writes for the code (HTTP types leave it empty).
        let status = HTTPResponseStatus(statusCode: Int(response.status.code))
        var head = "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n"
        for field in response.headers { head += "\(field.name.rawName): \(field.value)\r\n" }
        beforeDate = Array(head.utf8)
        serverLine = serverName.map { Array("Server: \($0)\r\n".utf8) } ?? []
        self.body = body
    }

    /// The whole response: `connection` is a `Connection` header value, or nil for none.
    func write(into buffer: inout ByteBuffer, date: [UInt8], connection: String?) {
        buffer.writeBytes(beforeDate)
        buffer.writeBytes(HTTPDate.prefix)
        buffer.writeBytes(date)
        buffer.writeBytes(HTTPDate.lineEnd)
        buffer.writeBytes(serverLine)
        if let connection {
            buffer.writeString("Connection: \(connection)\r\n")
        }
        buffer.writeBytes(HTTPDate.lineEnd)
        buffer.writeBytes(body)
    }

    /// What `write` takes, near enough to allocate once.
    var size: Int { beforeDate.count + serverLine.count + body.count + 80 }
}

/// The `Date` header value (RFC 9110 IMF-fixdate, `Wed, 02 Dec 2026 01:24:14 GMT`), formatted at
/// most once a second: the same text Hummingbird's own date cache gives.
final class HTTPDate: Sendable {
    static let prefix = Array("Date: ".utf8)
    static let lineEnd = Array("\r\n".utf8)
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private let cached = Mutex<(second: Int, text: [UInt8])>((-1, []))

    /// Now's value.
    func now() -> [UInt8] {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        let second = time.tv_sec
        return cached.withLock { cached in
            if cached.second != second { cached = (second, Self.format(second)) }
            return cached.text
        }
    }

    static func format(_ second: Int) -> [UInt8] {
        var seconds = time_t(second)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let text =
            "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
        return Array(text.utf8)
    }
}
