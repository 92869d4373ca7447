import CacheCore
import CacheScopeKit
import Hummingbird

extension ProductServer {
    /// `POST /debug/origin {"fail": true|false}`: every store read fails, or stops failing (admin).
    func addDebugRoute(to router: Router<BasicRequestContext>) {
        router.post("/debug/origin") { request, _ in
            try self.cache.authorize(request)
            guard case .bool(let fail)? = try await JSONValue.object(in: request)["fail"] else {
                throw APIError(422, "give 'fail': true or false")
            }
            self.store.failReads(fail)
            return Response.json(.json(["failing": fail]))
        }
    }

    /// Writes change the store, then invalidate what they changed before answering.
    func addWriteRoutes(to router: Router<BasicRequestContext>) {
        router.post(RouterPath(catalog.listings.pattern.description)) { request, _ in
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
            let write = try await self.storeWrite { try await self.store.create(draft) }
            await self.cache.invalidate(self.catalog.invalidations(for: write), reason: "POST \(self.catalog.listings.pattern)")
            return Response.json(.json(write.product, status: 201))
        }
        router.delete(RouterPath(catalog.product.pattern.description)) { _, context in
            let id = try ProductID.parse(context.parameters.get("id") ?? "")
            guard let write = try await self.storeWrite({ try await self.store.delete(id: id) }) else {
                throw APIError(404, ProductID.notFoundMessage)
            }
            await self.cache.invalidate(
                self.catalog.invalidations(for: write), reason: "DELETE \(self.catalog.path(ofProduct: id))")
            return Response.json(.json(["deleted": id]))
        }
    }

    /// A write the store did not confirm is a 503 with `Retry-After` (each write is one transaction:
    /// it was applied whole or not at all), and nothing is invalidated for it.
    private func storeWrite<T: Sendable>(_ write: () async throws -> T) async throws -> T {
        do {
            let result = try await write()
            cache.origin.succeeded()
            return result
        } catch let error as APIError {
            throw error
        } catch {
            cache.origin.failed(error)
            throw APIError(503, "the product store did not confirm the write (\(error)); try again")
        }
    }
}
