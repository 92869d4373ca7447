import CacheCore
import Foundation
import Hummingbird

extension CacheScopeServer {
    /// The catalogue: cached reads, and writes that invalidate what they change before answering.
    func addProductRoutes(to router: Router<BasicRequestContext>) {
        for path in ["/products", "/products/:id", "/categories"] {
            router.get(RouterPath(path)) { request, _ in try await self.serveCached(request) }
        }
        router.post("/products") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 64 * 1024)
            let draft: ProductDraft
            do {
                draft = try ProductDraft.parse(Array(buffer: body))
            } catch ProductDraft.Invalid.malformed(let message) {
                throw APIError(400, message)
            } catch ProductDraft.Invalid.field(let message) {
                throw APIError(422, message)
            }
            let product = try await self.catalog.store.create(draft)
            await self.invalidator.invalidate(self.catalog.invalidationPatterns(forProduct: nil), reason: "POST /products")
            return jsonResponse(status: 201, body: OriginResponse.json(product).body)
        }
        router.delete("/products/:id") { request, context in
            let id = try Self.productID(context)
            guard try await self.catalog.store.delete(id: id) else { throw APIError(404, "Product not found") }
            await self.invalidator.invalidate(self.catalog.invalidationPatterns(forProduct: id), reason: "DELETE /products/\(id)")
            return jsonResponse(status: 200, body: OriginResponse.json(["deleted": id]).body)
        }
        if configuration.benchmarkRoute {
            // A body the size of the cached listing, with no Redis call: the floor for `make bench`.
            let listing = Array(#"{"products":[{"id":1,"name":"Widget Alpha","price":9.99,"featured":true,"category":"widgets"},{"id":2,"name":"Widget Beta","price":14.99,"featured":false,"category":"widgets"},{"id":3,"name":"Gadget Pro","price":49.99,"featured":true,"category":"gadgets"},{"id":4,"name":"Gadget Lite","price":24.99,"featured":false,"category":"gadgets"},{"id":5,"name":"Doohickey Max","price":4.99,"featured":false,"category":"misc"}],"count":5}"#.utf8)
            router.get("/bench/static") { _, _ in jsonResponse(status: 200, body: listing) }
        }
    }

    private func serveCached(_ request: Request) async throws -> Response {
        let cacheable = try catalog.resolve(path: request.uri.path, query: request.uri.query ?? "")
        let (response, status) = try await cache.fetch(cacheable)
        return jsonResponse(status: response.status, body: response.body, cache: status)
    }

    static func productID(_ context: BasicRequestContext) throws(APIError) -> Int64 {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0 else { throw APIError(400, "product id must be a positive integer, not '\(text)'") }
        return id
    }
}
