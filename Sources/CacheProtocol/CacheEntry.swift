/// How a cached response is stored as a Redis string. A 200 is its body, byte for byte, so any
/// client can read it; any other status (a cached 404) is a NUL byte, the status in ASCII digits,
/// a newline, then the body. No JSON body starts with NUL, so the two never mix (`docs/schema.md`).
public enum CacheEntry {
    public static func encode(status: Int, body: [UInt8]) -> [UInt8] {
        status == 200 ? body : [0] + Array("\(status)\n".utf8) + body
    }

    /// The status and body of a stored value; a value that starts with NUL but is malformed reads as a 200.
    public static func decode(_ stored: [UInt8]) -> (status: Int, body: [UInt8]) {
        guard stored.first == 0, let newline = stored.firstIndex(of: UInt8(ascii: "\n")),
            let status = Int(String(decoding: stored[1..<newline], as: UTF8.self))
        else { return (200, stored) }
        return (status, Array(stored[(newline + 1)...]))
    }
}
