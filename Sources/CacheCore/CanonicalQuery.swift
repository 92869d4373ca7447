/// A query string in one spelling per meaning: parameters decoded, sorted by name then value,
/// and re-encoded the same way, so `?featured=true&category=widgets` and
/// `?category=widgets&featured=%74rue` name the same cache entry.
public struct CanonicalQuery: Sendable, Equatable, CustomStringConvertible {
    public let parameters: [(name: String, value: String)]

    public init(_ raw: String) {
        let trimmed = raw.hasPrefix("?") ? String(raw.dropFirst()) : raw
        let pairs = trimmed.split(separator: "&", omittingEmptySubsequences: true).map { part -> (String, String) in
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(pieces[0])
            let value = pieces.count > 1 ? Self.decode(pieces[1]) : ""
            return (name, value)
        }
        self.init(parameters: pairs)
    }

    public init(parameters: [(name: String, value: String)]) {
        self.parameters =
            parameters
            .filter { !$0.name.isEmpty }
            .sorted { $0.name != $1.name ? $0.name < $1.name : $0.value < $1.value }
    }

    public static func == (lhs: CanonicalQuery, rhs: CanonicalQuery) -> Bool { lhs.description == rhs.description }

    /// Every value given for `name`, decoded, in canonical (sorted) order.
    public func values(_ name: String) -> [String] { parameters.filter { $0.name == name }.map(\.value) }

    /// The canonical text that is hashed into the key: `name=value` pairs joined by `&`,
    /// each percent-encoded except for RFC 3986 unreserved characters.
    public var description: String {
        parameters.map { "\(Self.encode($0.name))=\(Self.encode($0.value))" }.joined(separator: "&")
    }

    /// First 8 hex digits of SHA-256 of the canonical text (the empty query gives `e3b0c442`).
    public var hash8: String {
        let text = description
        return text.isEmpty ? Self.emptyHash8 : SHA256.hex(text, length: 8)
    }

    /// Most cached requests have no query: their hash is computed once.
    private static let emptyHash8 = SHA256.hex("", length: 8)

    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"),
                let hi = utf8.index(index, offsetBy: 1, limitedBy: utf8.endIndex), hi < utf8.endIndex,
                let lo = utf8.index(index, offsetBy: 2, limitedBy: utf8.endIndex), lo < utf8.endIndex,
                let h = hexValue(utf8[hi]), let l = hexValue(utf8[lo])
            {
                bytes.append(h << 4 | l)
                index = utf8.index(after: lo)
                continue
            }
            bytes.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index = utf8.index(after: index)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func encode(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), upperHexDigits[Int(byte >> 4)], upperHexDigits[Int(byte & 0xf)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let upperHexDigits = Array("0123456789ABCDEF".utf8)

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
