import Foundation
import GRDB
import Synchronization

/// A product of the catalogue, as stored and as served.
public struct Product: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public var id: Int64
    public var name: String
    public var price: Double
    public var featured: Bool
    public var category: String

    public static let databaseTableName = "products"
}

/// The origin: products in a SQLite file. Reads can be made as slow as a slow database
/// (`originDelay`): the query runs first and the delay passes before its result is returned,
/// like a real query whose snapshot is taken when it starts.
public final class ProductStore: Sendable {
    private let database: DatabasePool
    private let originDelay: Duration
    private let readsFail = Atomic(false)

    /// The five products of the seed example, stored on first start.
    static let seed: [Product] = [
        Product(id: 1, name: "Widget Alpha", price: 9.99, featured: true, category: "widgets"),
        Product(id: 2, name: "Widget Beta", price: 14.99, featured: false, category: "widgets"),
        Product(id: 3, name: "Gadget Pro", price: 49.99, featured: true, category: "gadgets"),
        Product(id: 4, name: "Gadget Lite", price: 24.99, featured: false, category: "gadgets"),
        Product(id: 5, name: "Doohickey Max", price: 4.99, featured: false, category: "misc"),
    ]

    public init(path: String, originDelay: Duration) throws {
        database = try Self.open(path)
        self.originDelay = originDelay
        // Checked and created in one exclusive transaction: of servers starting together on a new
        // file, exactly one creates and seeds it.
        try database.writeWithoutTransaction { db in
            try db.inTransaction(.exclusive) {
                if try !db.tableExists("products") {
                    try db.create(table: "products") { t in
                        t.autoIncrementedPrimaryKey("id")
                        t.column("name", .text).notNull()
                        t.column("price", .double).notNull()
                        t.column("featured", .boolean).notNull().defaults(to: false)
                        t.column("category", .text).notNull()
                    }
                    for product in Self.seed { try product.insert(db) }
                }
                return .commit
            }
        }
    }

    /// Servers sharing the store may start together on a new file: the one that does not get the
    /// lock waits for it instead of failing. The busy timeout covers queries, but not switching a
    /// new file to WAL, which answers "busy" at once: that is retried for as long.
    private static func open(_ path: String) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && ContinuousClock.now < deadline {
                usleep(10_000)  // start-up, before any request: nothing else waits on this thread
            }
        }
    }

    public func products(featured: Bool?, category: String?) async throws -> [Product] {
        try await slowRead { db in
            var request = Product.order(Column("id"))
            if let featured { request = request.filter(Column("featured") == featured) }
            if let category { request = request.filter(Column("category") == category) }
            return try request.fetchAll(db)
        }
    }

    public func product(id: Int64) async throws -> Product? {
        try await slowRead { db in try Product.fetchOne(db, key: id) }
    }

    public func categories() async throws -> [String] {
        try await slowRead { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT category FROM products ORDER BY category")
        }
    }

    /// A product written, and whether the write changed the set of categories: decided in the
    /// write's own transaction, so concurrent writes cannot both miss the change.
    public struct Write: Sendable, Equatable {
        public let product: Product
        public let categoriesChanged: Bool
    }

    public func create(_ draft: ProductDraft) async throws -> Write {
        try await database.write { db in
            let known = try Self.hasCategory(draft.category, db)
            try db.execute(
                sql: "INSERT INTO products (name, price, featured, category) VALUES (?, ?, ?, ?)",
                arguments: [draft.name, draft.price, draft.featured, draft.category])
            let product = Product(
                id: db.lastInsertedRowID, name: draft.name, price: draft.price,
                featured: draft.featured, category: draft.category)
            return Write(product: product, categoriesChanged: !known)
        }
    }

    /// Deletes the product; nil if there was none.
    public func delete(id: Int64) async throws -> Write? {
        try await database.write { db in
            guard let product = try Product.fetchOne(db, key: id) else { return nil }
            try product.delete(db)
            return Write(product: product, categoriesChanged: try !Self.hasCategory(product.category, db))
        }
    }

    private static func hasCategory(_ category: String, _ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM products WHERE category = ?)", arguments: [category]) ?? false
    }

    /// Makes every read fail (or stop failing), as a dead database would: for watching the cache
    /// answer 503s (`POST /debug/origin`). Writes are not affected.
    public func failReads(_ failing: Bool) { readsFail.store(failing, ordering: .relaxed) }

    public var readsAreFailing: Bool { readsFail.load(ordering: .relaxed) }

    /// Why a read failed on purpose.
    public struct ReadsFailing: Error, CustomStringConvertible {
        public var description: String { "store reads fail on purpose (POST /debug/origin)" }
    }

    private func slowRead<T: Sendable>(_ query: @Sendable @escaping (Database) throws -> T) async throws -> T {
        if readsAreFailing { throw ReadsFailing() }
        let result = try await database.read(query)
        if originDelay > .zero { try await Task.sleep(for: originDelay) }
        return result
    }
}

/// A product to create, validated (see `ProductDraft.parse`).
public struct ProductDraft: Sendable, Equatable {
    public var name: String
    public var price: Double
    public var featured: Bool
    public var category: String
}
