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

    public func send(_ method: String, _ url: String, body: Data? = nil, headers: [String: String] = [:]) async throws -> Response
    {
        guard let target = URL(string: url) else { throw URLError(.badURL) }
        var request = URLRequest(url: target)
        request.httpMethod = method
        request.httpBody = body
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        // The completion-handler form, not `data(for:)`: on Linux that one cancels its URLSessionTask
        // from inside Swift's task-cancellation lock, and the cancel waits on the session's queue,
        // which may itself wait on that lock to complete another request: a deadlock (seen when
        // Ctrl-C cancelled `load`). A cancelled caller's request runs to its end (at most `timeout`).
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Response, any Error>) in
            session.dataTask(with: request) { data, response, error in
                if let error { return continuation.resume(throwing: error) }
                let http = response as? HTTPURLResponse
                var fields: [String: String] = [:]
                for (name, value) in http?.allHeaderFields ?? [:] { fields["\(name)"] = "\(value)" }
                continuation.resume(returning: Response(status: http?.statusCode ?? 0, headers: fields, body: data ?? Data()))
            }.resume()
        }
    }

    public func get(_ url: String) async throws -> Response { try await send("GET", url) }

    public func post(_ url: String, json: String, headers: [String: String] = [:]) async throws -> Response {
        try await send("POST", url, body: Data(json.utf8), headers: headers)
    }
}
