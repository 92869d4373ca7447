import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small HTTP client over URLSession, for the load generator, the dashboard's warm calls
/// and the tests. One shared session keeps connections alive.
public final class HTTPClient: Sendable {
    public struct Response: Sendable {
        public let status: Int
        public let headers: [String: String]
        public let body: Data

        public func header(_ name: String) -> String? {
            headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
        }

        /// The body parsed as a JSON object (empty if it is not one).
        public var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        }
    }

    private let session: URLSession

    public init(timeout: TimeInterval = 10, maxConnections: Int = 64) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.httpMaximumConnectionsPerHost = maxConnections
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    public func send(_ method: String, _ url: String, body: Data? = nil, headers: [String: String] = [:]) async throws -> Response {
        guard let target = URL(string: url) else { throw URLError(.badURL) }
        var request = URLRequest(url: target)
        request.httpMethod = method
        request.httpBody = body
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        let http = response as? HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http?.allHeaderFields ?? [:] { fields["\(name)"] = "\(value)" }
        return Response(status: http?.statusCode ?? 0, headers: fields, body: data)
    }

    public func get(_ url: String) async throws -> Response { try await send("GET", url) }

    public func post(_ url: String, json: String, headers: [String: String] = [:]) async throws -> Response {
        try await send("POST", url, body: Data(json.utf8), headers: headers)
    }
}
