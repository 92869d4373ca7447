import Foundation
import Hummingbird

/// Any JSON value, decoded without coercion (a `1` is never a `true`).
public enum JSONValue: Decodable, Equatable, Sendable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let list = try? container.decode([JSONValue].self) {
            self = .array(list)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}

extension JSONValue {
    /// A request body that must be a JSON object (at most 64 KiB): malformed JSON is a 400, any other
    /// value a 422; an empty body is `[:]` when `emptyAllowed`.
    public static func object(in request: Request, emptyAllowed: Bool = false) async throws -> [String: JSONValue] {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        if body.readableBytes == 0 && emptyAllowed { return [:] }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: body)) else {
            throw APIError(400, "request body is not valid JSON")
        }
        guard case .object(let object) = value else { throw APIError(422, "body must be a JSON object") }
        return object
    }
}
