import CHiredis

/// Where replies cross from hiredis into Swift values: the incremental reader the pipeline
/// feeds, and the copy of each reply tree into a `RedisReply`.
extension RedisReply {
    /// Copies a hiredis reply tree; the caller still frees the root.
    init(hiredis reply: UnsafeMutablePointer<redisReply>) {
        let r = reply.pointee
        switch r.type {
        case chiredis_reply_string():
            self = .bulk(r.str.map { Array(UnsafeRawBufferPointer(start: $0, count: r.len)) } ?? [])
        case chiredis_reply_status():
            self = .status(Self.text(r))
        case chiredis_reply_error():
            self = .error(Self.text(r))
        case chiredis_reply_integer():
            self = .integer(Int(r.integer))
        case chiredis_reply_array():
            self = .array((0..<r.elements).compactMap { index in r.element[index].map(RedisReply.init(hiredis:)) })
        default:
            self = .null
        }
    }

    private static func text(_ r: redisReply) -> String {
        guard let str = r.str else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: str, count: r.len), as: UTF8.self)
    }
}

/// hiredis's incremental reply parser: feed it bytes as they arrive, take replies as they complete.
final class ReplyReader {
    private let reader: UnsafeMutablePointer<redisReader>

    init() { reader = redisReaderCreate() }
    deinit { redisReaderFree(reader) }

    func feed(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), bytes.count)
    }

    /// The next complete reply, nil if more bytes are needed; throws on a protocol error.
    func next() throws(RedisError) -> RedisReply? {
        var raw: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &raw) == chiredis_ok() else {
            throw .connectionLost("protocol error from Redis")
        }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }  // the root only: it frees its children
        return RedisReply(hiredis: raw.assumingMemoryBound(to: redisReply.self))
    }
}
