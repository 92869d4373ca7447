import Foundation
import RedisClient
import TestSupport
import Testing

/// A write invalidates exactly the listings whose body it changes, through tags kept with the
/// fill in Redis, never by scanning the keyspace.
@Suite struct TagInvalidationTests {
    let listings = [
        "/products", "/products?category=widgets", "/products?category=gadgets", "/products?featured=true",
        "/products?featured=false", "/products?category=widgets&featured=false", "/products?category=gadgets&x=1",
    ]

    func fill(_ server: TestServer) async throws {
        for path in listings + ["/categories"] { _ = try await server.get(path) }
        for path in listings + ["/categories"] {
            #expect(try await server.get(path).header("X-Cache") == "HIT", "\(path) is cached")
        }
    }

    func status(_ server: TestServer) async throws -> [String: String] {
        var answers: [String: String] = [:]
        for path in listings + ["/categories"] { answers[path] = try await server.get(path).header("X-Cache") ?? "" }
        return answers
    }

    @Test func aPostInWidgetsKeepsGadgetListingsCached() async throws {
        try await withServer { server, _ in
            try await fill(server)
            let created = try await server.send(
                "POST", "/products", json: #"{"name": "W3", "price": 3, "category": "widgets", "featured": false}"#)
            #expect(created.status == 201)
            let after = try await status(server)
            #expect(after["/products"] == "MISS")
            #expect(after["/products?category=widgets"] == "MISS")
            #expect(after["/products?featured=false"] == "MISS")
            #expect(after["/products?category=widgets&featured=false"] == "MISS")
            #expect(after["/products?category=gadgets"] == "HIT", "cannot contain a widget")
            #expect(after["/products?category=gadgets&x=1"] == "HIT")
            #expect(after["/products?featured=true"] == "HIT", "cannot contain an unfeatured product")
            #expect(after["/categories"] == "HIT", "widgets was a category already")
            let widgets = try await server.get("/products?category=widgets")
            #expect(widgets.json["count"] as? Int == 3, "the refill holds the new product")
        }
    }

    @Test func aDeleteMissesTheListingsThatHeldTheProductAndANewCategoryBustsCategories() async throws {
        try await withServer { server, _ in
            try await fill(server)
            #expect(try await server.send("DELETE", "/products/3").status == 200)  // Gadget Pro: gadgets, featured
            let after = try await status(server)
            #expect(after["/products"] == "MISS")
            #expect(after["/products?category=gadgets"] == "MISS")
            #expect(after["/products?category=gadgets&x=1"] == "MISS", "an unknown parameter filters nothing")
            #expect(after["/products?featured=true"] == "MISS")
            #expect(after["/products?category=widgets"] == "HIT")
            #expect(after["/products?featured=false"] == "HIT")
            #expect(after["/categories"] == "HIT", "Gadget Lite keeps gadgets a category")

            _ = try await server.send("POST", "/products", json: #"{"name": "T", "price": 1, "category": "tools"}"#)
            let categories = try await server.get("/categories")
            #expect(categories.header("X-Cache") == "MISS", "a new category changes the set")
            #expect((categories.json["categories"] as? [String])?.contains("tools") == true)
            _ = try await server.get("/products?category=gadgets")
            #expect(try await server.send("DELETE", "/products/4").status == 200)  // the last gadget
            #expect(try await server.get("/categories").header("X-Cache") == "MISS", "the last gadget took its category")
        }
    }

    @Test func aFillThatBeganBeforeATagInvalidationIsNotStored() async throws {
        try await withServer(configure: { $0.originDelay = .seconds(1) }) { server, _ in
            let slow = Task { try await server.get("/products?category=widgets") }
            try await waitForLoadInFlight(server)
            try await Task.sleep(for: .milliseconds(200))  // its query has run (the 400 ms delay comes after it)
            _ = try await server.send("POST", "/products", json: #"{"name": "W", "price": 1, "category": "widgets"}"#)
            #expect(try await slow.value.json["count"] as? Int == 2, "the load began before the write")
            let next = try await server.get("/products?category=widgets")
            #expect(next.header("X-Cache") == "MISS", "its fill was refused: the tag moved while it loaded")
            #expect(next.json["count"] as? Int == 3)
        }
    }
}
