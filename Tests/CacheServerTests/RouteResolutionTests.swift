import CacheCore
import CacheScopeKit
import TestSupport
import Testing

@testable import ProductAPI

/// Requests resolved to declared routes and keys, without a server or a store.
@Suite struct RouteResolutionTests {
    @Test func patternsMatchOneSegmentPerCapture() {
        let pattern = RoutePattern("/products/{id}")
        #expect(pattern.description == "/products/{id}")
        #expect(RoutePattern("/products/:id") == pattern, "Hummingbird's spelling reads the same")
        #expect(pattern.match("/products/7") == ["id": "7"])
        #expect(pattern.match("/products/") == nil, "a capture is never empty")
        #expect(pattern.match("/products/7/x") == nil)
        #expect(pattern.match("/products") == nil)
        #expect(RoutePattern("/products").match("/products") == [:])
        #expect(RoutePattern("/").match("/") == [:])
        #expect(pattern.path(["id": "42"]) == "/products/42")
    }

    @Test func keysNameTheirRoute() {
        let routes: [(prefix: String, pattern: RoutePattern)] = [
            ("shop", RoutePattern("/products")), ("shop", RoutePattern("/products/{id}")),
        ]
        #expect(RoutePattern.route(ofKey: "shop:/products/42:e3b0c442", in: routes) == RoutePattern("/products/{id}"))
        #expect(RoutePattern.route(ofKey: "shop:/products:e3b0c442", in: routes) == RoutePattern("/products"))
        #expect(RoutePattern.route(ofKey: "other:/products:e3b0c442", in: routes) == nil, "another prefix")
        #expect(RoutePattern.route(ofKey: "shop:/categories:e3b0c442", in: routes) == nil)
    }

    /// A catalogue with a store that is never read: resolving a request loads nothing.
    let table = RouteTable(Catalog(store: try! SQLiteProductStore(path: TestServer.temporaryDatabase())).routes)

    func key(_ target: String) throws -> String { try table.resolve(target: target).key.description }

    @Test func requestsResolveToTheirRouteAndCanonicalKey() throws {
        #expect(try table.resolve(target: "/products").policy.route == "/products")
        #expect(try table.resolve(target: "/products/7").policy.route == "/products/{id}")
        #expect(try table.resolve(target: "/categories").policy.ttl == .seconds(600))
        #expect(try key("/products/007") == key("/products/7"), "one key per product, however it is spelled")
        #expect(try key("/products?featured=true&category=widgets") == key("/products?category=widgets&featured=%74rue"))
        #expect(try key("/products") == "shop:/products:e3b0c442")
    }

    @Test func badRequestsAreRefusedBeforeAnyLoad() {
        let cases: [(String, Int)] = [
            ("/products/abc", 400), ("/products/0", 400), ("/products/-3", 400), ("/products?featured=maybe", 400),
            ("/products?featured=true&featured=false", 400), ("/products?category=a&category=b", 400),
            ("/nope", 404), ("/products/1/x", 404),
        ]
        for (target, status) in cases {
            #expect(throws: APIError.self, "\(target)") { _ = try table.resolve(target: target) }
            do throws(APIError) { _ = try table.resolve(target: target) } catch { #expect(error.status == status, "\(target)") }
        }
    }

    @Test func writesInvalidateExactlyTheListingsThatHoldTheProduct() {
        let catalog = Catalog(store: try! SQLiteProductStore(path: TestServer.temporaryDatabase()))
        let gadget = Product(id: 5, name: "g", price: 1, featured: true, category: "gadgets")
        let sameSet = catalog.invalidations(for: ProductWrite(product: gadget, categoriesChanged: false))
        #expect(
            sameSet.map(\.description) == [
                "shop:/products/5:*",
                "tag:shop:listing:category=%2A&featured=%2A", "tag:shop:listing:category=gadgets&featured=%2A",
                "tag:shop:listing:category=%2A&featured=true", "tag:shop:listing:category=gadgets&featured=true",
            ])
        let newCategory = catalog.invalidations(for: ProductWrite(product: gadget, categoriesChanged: true))
        #expect(newCategory.last?.description == "shop:/categories:*", "the categories only when their set changed")
        #expect(catalog.product.everyEntry.description == "shop:/products/*")
    }

    @Test func aListingIsTaggedByItsFiltersOnly() throws {
        let listings = try #require(table.routes.first)
        func tags(_ query: String) throws -> [String] {
            try #require(try table.resolve(listings, path: "/products", query: query)).tags
        }
        #expect(try tags("") == ["shop:listing:category=%2A&featured=%2A"])
        #expect(try tags("x=1") == ["shop:listing:category=%2A&featured=%2A"], "other parameters filter nothing")
        #expect(try tags("featured=false&category=a%2Ab") == ["shop:listing:category=a%2Ab&featured=false"])
    }
}
