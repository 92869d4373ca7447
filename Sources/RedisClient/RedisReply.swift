/// A Redis reply as a Swift value: hiredis's `redisReply` tree is copied into this at the
/// boundary, so no C pointer leaves the module.
public enum RedisReply: Sendable, Equatable {
    case status(String)
    case error(String)
    case integer(Int)
    case bulk([UInt8])
    case null
    case array([RedisReply])

    /// The reply read as text (bulk strings and status lines), or nil.
    public var string: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }

    /// The reply read as an integer (integer replies and numeric bulk strings), or nil.
    public var int: Int? {
        switch self {
        case .integer(let value): value
        case .bulk: string.flatMap { Int($0) }
        default: nil
        }
    }

    /// The elements of an array reply; empty for anything else.
    public var elements: [RedisReply] {
        if case .array(let items) = self { return items }
        return []
    }

    /// The reply itself, or a thrown `ServerError` if it is an error reply.
    public func orThrow() throws(ServerError) -> RedisReply {
        if case .error(let message) = self { throw ServerError(message: message) }
        return self
    }

    public var isError: Bool {
        if case .error = self { return true }
        return false
    }

    /// A pub/sub message (`["message", channel, payload]` or `["pmessage", pattern, channel, payload]`),
    /// which arrives on a subscribed connection whenever it is published, between replies or not.
    var isPubSubMessage: Bool {
        guard case .array(let parts) = self, let kind = parts.first?.string else { return false }
        return kind == "message" || kind == "pmessage"
    }
}

/// Why a Redis call did not produce a reply.
public struct RedisError: Error, Equatable, CustomStringConvertible, Sendable {
    private enum Kind: Equatable, Sendable {
        case unavailable(String)
        case connectionLost(String)
        case timedOut
        case invalidURL(String)
        case refused(String)
        case tls(String)
    }
    private let kind: Kind

    /// What a caller may do about it: `credentials` and `tls` need another setting, the rest passes.
    public enum Cause: Sendable { case unreachable, credentials, tls, other }

    public var cause: Cause {
        switch kind {
        case .unavailable, .connectionLost, .timedOut: .unreachable
        case .refused: .credentials
        case .tls: .tls
        case .invalidURL: .other
        }
    }

    /// No connection right now (Redis down, or reconnecting after a failure).
    public static func unavailable(_ reason: String) -> RedisError { .init(kind: .unavailable(reason)) }
    /// The connection broke while the command was in flight.
    public static func connectionLost(_ reason: String) -> RedisError { .init(kind: .connectionLost(reason)) }
    /// The request waited longer than its deadline before it could be sent.
    public static let timedOut = RedisError(kind: .timedOut)
    public static func invalidURL(_ reason: String) -> RedisError { .init(kind: .invalidURL(reason)) }
    /// The server refused to let the connection be used (`AUTH`, `SELECT`, `ROLE`).
    public static func refused(_ reason: String) -> RedisError { .init(kind: .refused(reason)) }
    /// The TLS handshake failed, or the TLS settings cannot be used.
    public static func tls(_ reason: String) -> RedisError { .init(kind: .tls(reason)) }

    public var description: String {
        switch kind {
        case .unavailable(let reason): "Redis unavailable: \(reason)"
        case .connectionLost(let reason): "Redis connection lost: \(reason)"
        case .timedOut: "Redis request timed out"
        case .invalidURL(let reason): reason
        case .refused(let reason): "Redis refused the connection: \(reason)"
        case .tls(let reason): "Redis TLS: \(reason)"
        }
    }
}

/// One command: its words as bytes, so cached bodies travel without re-encoding.
public struct RedisCommand: Sendable, Equatable {
    public let arguments: [[UInt8]]

    public init(_ words: String...) {
        self.arguments = words.map { Array($0.utf8) }
    }

    public init(_ words: [String]) {
        self.arguments = words.map { Array($0.utf8) }
    }

    public init(arguments: [[UInt8]]) {
        self.arguments = arguments
    }

    /// The command name, for logs.
    public var name: String { arguments.first.map { String(decoding: $0, as: UTF8.self) } ?? "" }
}

/// An error reply from the server to a command sent with `call`.
public struct ServerError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { "Redis error: \(message)" }
}
