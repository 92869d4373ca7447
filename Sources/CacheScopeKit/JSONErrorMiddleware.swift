import CacheCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// Turns every error into a JSON `{"error": "..."}` response with the right status: unknown
/// paths are 404, known paths with another method 405 (with `Allow`), oversized bodies 413.
/// Only a fault of the server itself is a 500, and then without internals in the body.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let methods: MethodTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch is NIOTooManyBytesError {
            return Self.response(status: 413, message: "request body is larger than 64 KiB")
        } catch let error as APIError {
            var response = Self.response(status: error.status, message: error.message)
            if error.status == 401 { response.headers[.wwwAuthenticate] = #"Bearer realm="cachescope""# }
            // A dependency is down: say when to try again.
            if error.status == 503 { response.headers[.retryAfter] = "1" }
            return response
        } catch let error as HTTPError {
            switch error.status {
            case .notFound:
                let allowed = methods.allowed(onPath: request.uri.path)
                if !allowed.isEmpty, !allowed.contains(request.method) {
                    var response = Self.response(
                        status: 405, message: "method \(request.method) not allowed on \(request.uri.path)")
                    response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
                    return response
                }
                return Self.response(status: 404, message: "Not found")
            default:
                return Self.response(status: Int(error.status.code), message: error.body ?? error.status.reasonPhrase)
            }
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return Self.response(status: 500, message: "internal error")
        }
    }

    static func response(status: Int, message: String) -> Response {
        let body = (try? JSONEncoder().encode(["error": message])) ?? Data("{\"error\":\"error\"}".utf8)
        return jsonResponse(status: status, body: Array(body))
    }
}

/// Which methods each registered route accepts, for telling 404 from 405; filled from the
/// router once every route is on it, so it cannot disagree with the router.
final class MethodTable: Sendable {
    private let routes = Mutex<[(pattern: RoutePattern, method: HTTPRequest.Method)]>([])

    func load(_ routes: [(RoutePattern, HTTPRequest.Method)]) { self.routes.withLock { $0 = routes } }

    /// The methods of the routes whose pattern matches `path`: GET first, then by name.
    func allowed(onPath path: String) -> [HTTPRequest.Method] {
        let methods = routes.withLock { routes in Set(routes.filter { $0.pattern.match(path) != nil }.map(\.method)) }
        return methods.sorted { ($0 == .get ? 0 : 1, $0.rawValue) < ($1 == .get ? 0 : 1, $1.rawValue) }
    }
}

/// A JSON response with the given status and body.
func jsonResponse(status: Int, body: [UInt8], cache: CacheStatus? = nil) -> Response {
    var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
    if let cache { headers[.xCache] = cache.rawValue }
    return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
}

extension Response {
    /// `origin`'s status and body as a JSON response.
    public static func json(_ origin: OriginResponse) -> Response { jsonResponse(status: origin.status, body: origin.body) }
}

extension HTTPField.Name {
    static let xCache = HTTPField.Name("X-Cache")!
}
