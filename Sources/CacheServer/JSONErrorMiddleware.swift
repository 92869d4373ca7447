import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Turns every error into a JSON `{"error": "..."}` response with the right status: unknown
/// paths are 404, known paths with another method 405, oversized bodies 413. Only a fault of
/// the server itself is a 500, and then without internals in the body.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Which methods each path shape accepts, for telling 404 from 405.
    let allowedMethods: @Sendable (String) -> [HTTPRequest.Method]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch is NIOTooManyBytesError {
            return Self.response(status: 413, message: "request body is larger than 64 KiB")
        } catch let error as APIError {
            var response = Self.response(status: error.status, message: error.message)
            if error.status == 401 { response.headers[.wwwAuthenticate] = #"Bearer realm="cachescope""# }
            return response
        } catch let error as HTTPError {
            switch error.status {
            case .notFound:
                let allowed = allowedMethods(request.uri.path)
                if !allowed.isEmpty, !allowed.contains(request.method) {
                    var response = Self.response(status: 405, message: "method \(request.method) not allowed on \(request.uri.path)")
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

/// A JSON response with the given status and body.
func jsonResponse(status: Int, body: [UInt8], cache: CacheStatus? = nil) -> Response {
    var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
    if let cache { headers[.xCache] = cache.rawValue }
    return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
}

extension HTTPField.Name {
    static let xCache = HTTPField.Name("X-Cache")!
}
