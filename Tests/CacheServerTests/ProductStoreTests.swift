import CacheProtocol
import CacheScopeKit
import Logging
import ProductAPI
import ServiceLifecycle
import TestSupport
import Testing

/// The contract every `ProductStore` keeps, run against each: SQLite in a temporary file, and a real
/// PostgreSQL started for the test.
@Suite struct ProductStoreContractTests {
    enum Engine: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgres
        var testDescription: String { rawValue }
    }

    /// Opens `count` stores on one new, empty database of `engine`, all prepared at the same moment
    /// (as servers of a fleet starting together), and runs `body` with them.
    static func withStores(
        _ engine: Engine, count: Int = 1, _ body: @Sendable ([any ProductStore]) async throws -> Void
    ) async throws {
        switch engine {
        case .sqlite:
            let path = TestServer.temporaryDatabase()
            let stores = try await withThrowingTaskGroup(of: (any ProductStore).self) { group in
                for _ in 0..<count { group.addTask { try SQLiteProductStore(path: path) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            try await body(stores)
        case .postgres:
            try await withPostgres { cluster in
                let location = try await cluster.createDatabase()
                var logger = Logger(label: "test-store")
                logger.logLevel = .warning
                let stores = try (0..<count).map { _ in
                    try PostgresProductStore(location: location, poolSize: 4, logger: logger)
                }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for service in stores.flatMap(\.services) { group.addTask { try await service.run() } }
                    try await withThrowingTaskGroup(of: Void.self) { preparing in
                        for store in stores { preparing.addTask { try await store.prepare() } }
                        try await preparing.waitForAll()
                    }
                    try await body(stores)
                    group.cancelAll()
                }
            }
        }
    }

    @Test(arguments: Engine.allCases)
    func aNewStoreHoldsTheSeedOnceHoweverManyServersPrepareIt(_ engine: Engine) async throws {
        try await Self.withStores(engine, count: 4) { (stores: [any ProductStore]) async throws in
            for store in stores {
                #expect(try await store.products(featured: nil, category: nil) == Product.seed)
            }
        }
    }

    @Test(arguments: Engine.allCases)
    func readsFilterAndSort(_ engine: Engine) async throws {
        try await Self.withStores(engine) { (stores: [any ProductStore]) async throws in
            let store = stores[0]
            #expect(try await store.products(featured: true, category: nil).map(\.id) == [1, 3])
            #expect(try await store.products(featured: false, category: "gadgets").map(\.id) == [4])
            #expect(try await store.products(featured: nil, category: "misc").map(\.name) == ["Doohickey Max"])
            #expect(try await store.products(featured: nil, category: "none").isEmpty)
            #expect(try await store.product(id: 3) == Product.seed[2])
            #expect(try await store.product(id: 99) == nil)
            #expect(try await store.categories() == ["gadgets", "misc", "widgets"])
            try await store.ping()
        }
    }

    @Test(arguments: Engine.allCases)
    func writesSayWhetherTheCategoriesChanged(_ engine: Engine) async throws {
        try await Self.withStores(engine) { (stores: [any ProductStore]) async throws in
            let store = stores[0]
            let draft = ProductDraft(name: "Sprocket", price: 3.5, featured: true, category: "sprockets")
            let created = try await store.create(draft)
            #expect(created.categoriesChanged)
            #expect(created.product.id == 6)
            #expect(try await store.product(id: 6) == created.product)
            #expect(try await store.categories() == ["gadgets", "misc", "sprockets", "widgets"])
            let second = try await store.create(
                ProductDraft(name: "Sprocket 2", price: 4, featured: false, category: "sprockets"))
            #expect(!second.categoriesChanged)
            #expect(second.product.id == 7)

            let deleted = try #require(try await store.delete(id: 6))
            #expect(deleted.product == created.product)
            #expect(!deleted.categoriesChanged, "'sprockets' still has product 7")
            #expect(try await store.delete(id: 7)?.categoriesChanged == true)
            #expect(try await store.delete(id: 7) == nil)
            #expect(try await store.categories() == ["gadgets", "misc", "widgets"])
        }
    }

    /// Two servers deleting a category's last two products at once: whichever commits second must
    /// see that the category is gone, or `/categories` would keep it until its TTL.
    @Test(arguments: Engine.allCases)
    func concurrentWritesNeverBothMissACategoryChange(_ engine: Engine) async throws {
        try await Self.withStores(engine, count: 2) { (stores: [any ProductStore]) async throws in
            for round in 0..<15 {
                let category = "c\(round)"
                let a = try await stores[0].create(ProductDraft(name: "a", price: 1, featured: false, category: category))
                let b = try await stores[1].create(ProductDraft(name: "b", price: 1, featured: false, category: category))
                async let first = stores[0].delete(id: a.product.id)
                async let second = stores[1].delete(id: b.product.id)
                let changes = [try await first?.categoriesChanged, try await second?.categoriesChanged]
                #expect(changes.contains(true), "round \(round): both deletes missed that '\(category)' is gone")

                async let third = stores[0].create(ProductDraft(name: "x", price: 1, featured: false, category: category + "n"))
                async let fourth = stores[1].create(ProductDraft(name: "y", price: 1, featured: false, category: category + "n"))
                #expect([try await third.categoriesChanged, try await fourth.categoriesChanged].contains(true))
            }
        }
    }
}
