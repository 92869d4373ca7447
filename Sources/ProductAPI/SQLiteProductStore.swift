import Foundation
import GRDB

extension Product: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "products"
}

/// The embedded store: products in a SQLite file.
public final class SQLiteProductStore: ProductStore {
    private let database: DatabasePool

    public init(path: String) throws {
        database = try Self.open(path)
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
                }
                if try Product.fetchCount(db) == 0 {
                    for product in Product.seed { try product.insert(db) }
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
        try await database.read { db in
            var request = Product.order(Column("id"))
            if let featured { request = request.filter(Column("featured") == featured) }
            if let category { request = request.filter(Column("category") == category) }
            return try request.fetchAll(db)
        }
    }

    public func product(id: Int64) async throws -> Product? {
        try await database.read { db in try Product.fetchOne(db, key: id) }
    }

    public func categories() async throws -> [String] {
        try await database.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT category FROM products ORDER BY category")
        }
    }

    public func create(_ draft: ProductDraft) async throws -> ProductWrite {
        try await database.write { db in
            let known = try Self.hasCategory(draft.category, db)
            try db.execute(
                sql: "INSERT INTO products (name, price, featured, category) VALUES (?, ?, ?, ?)",
                arguments: [draft.name, draft.price, draft.featured, draft.category])
            let product = Product(
                id: db.lastInsertedRowID, name: draft.name, price: draft.price,
                featured: draft.featured, category: draft.category)
            return ProductWrite(product: product, categoriesChanged: !known)
        }
    }

    public func delete(id: Int64) async throws -> ProductWrite? {
        try await database.write { db in
            guard let product = try Product.fetchOne(db, key: id) else { return nil }
            try product.delete(db)
            return ProductWrite(product: product, categoriesChanged: try !Self.hasCategory(product.category, db))
        }
    }

    public func ping() async throws {
        _ = try await database.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    private static func hasCategory(_ category: String, _ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM products WHERE category = ?)", arguments: [category]) ?? false
    }
}
