/// The `ETag` of a cached 200: a 64-bit FNV-1a hash of the body, so the same bytes always carry
/// the same tag on every server, from Redis, the near cache or the origin, with nothing stored
/// beside the entry. Hashing a listing costs well under a microsecond.
public struct EntityTag: Sendable, Equatable, CustomStringConvertible {
    /// The quoted tag, as sent: `"9f2c…"` (16 hex digits).
    public let description: String

    public init(of body: [UInt8]) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in body {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        var text = [UInt8](repeating: UInt8(ascii: "\""), count: 18)
        for index in 0..<16 {
            text[16 - index] = Self.hexDigits[Int((hash >> (UInt64(index) * 4)) & 0xf)]
        }
        description = String(decoding: text, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Whether an `If-None-Match` header names this tag (or is `*`). Comparison is weak, as RFC 9110
    /// asks for `If-None-Match`: `W/"x"` matches `"x"`.
    public func isMatched(byIfNoneMatch header: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            var tag = candidate.drop { $0 == " " || $0 == "\t" }
            while let last = tag.last, last == " " || last == "\t" { tag = tag.dropLast() }
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            return tag == "*" || tag == description
        }
    }
}
