import CacheCore
import Logging
import NIOSSL
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The shared store of a fleet: products in PostgreSQL, through a pool (`PostgresClient`, a
/// service of the server's `ServiceGroup`).
///
/// No request waits longer than `leaseTimeout` for a connection: a database that is down costs
/// that, and the error says so. A write is only sent once it holds a connection, and once sent it
/// is waited for, so a write reported as failed for want of a connection was never applied.
public final class PostgresProductStore: ProductStore {
    private let client: PostgresClient
    private let logger: Logger
    private let leaseTimeout: Duration

    /// The columns of a `Product`, in the order `rows` decodes them.
    static let columns = "id, name, price, featured, category"
    /// The advisory lock servers take to migrate one at a time ("cachescope" in ASCII).
    static let migrationLock: Int64 = 0x63_6163_6865_7363
    /// Each step's SQL, applied once, in order, recorded in `cachescope_migrations`.
    static let migrations: [String] = [
        """
        CREATE TABLE IF NOT EXISTS products (
            id BIGSERIAL PRIMARY KEY,
            name TEXT NOT NULL,
            price DOUBLE PRECISION NOT NULL,
            featured BOOLEAN NOT NULL DEFAULT false,
            category TEXT NOT NULL
        )
        """
    ]

    public init(location: PostgresLocation, poolSize: Int, leaseTimeout: Duration = .seconds(2), logger: Logger) throws {
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: try Self.tls(location.tls))
        configuration.options.maximumConnections = poolSize
        configuration.options.minimumConnections = 1
        configuration.options.connectTimeout = leaseTimeout
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
        self.leaseTimeout = leaseTimeout
    }

    private static func tls(_ mode: PostgresLocation.TLSMode) throws -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }

    public var services: [any Service] { [client] }

    /// Creates or migrates the schema and seeds an empty store in one transaction that first takes
    /// an advisory lock, so that of N servers starting at once one migrates and the others wait and
    /// find it done. The lock is the transaction's (released by its end, whatever happens), which
    /// also holds behind a transaction-mode pgbouncer.
    public func prepare() async throws {
        try await leased(within: .seconds(5)) { connection in
            try await connection.withTransaction(logger: self.logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: self.logger)
                try await self.migrate(connection)
            }
        }
    }

    private func migrate(_ connection: PostgresConnection) async throws {
        try await connection.query(
            "CREATE TABLE IF NOT EXISTS cachescope_migrations (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            logger: logger)
        let applied =
            try await connection.query("SELECT COALESCE(MAX(version), 0) FROM cachescope_migrations", logger: logger)
            .values(Int.self).first ?? 0
        for (index, step) in Self.migrations.enumerated() where index + 1 > applied {
            try await connection.query(PostgresQuery(unsafeSQL: step), logger: logger)
            try await connection.query("INSERT INTO cachescope_migrations (version) VALUES (\(index + 1))", logger: logger)
            logger.info("store schema migrated", metadata: ["version": "\(index + 1)"])
        }
        guard try await connection.query("SELECT count(*)::int FROM products", logger: logger).values(Int.self).first == 0 else {
            return
        }
        for product in Product.seed {
            try await connection.query(
                """
                INSERT INTO products (name, price, featured, category)
                VALUES (\(product.name), \(product.price), \(product.featured), \(product.category))
                """, logger: logger)
        }
        logger.info("store seeded", metadata: ["products": "\(Product.seed.count)"])
    }

    public func products(featured: Bool?, category: String?) async throws -> [Product] {
        try await leased { connection in
            try await Self.rows(
                connection.query(
                    """
                    SELECT \(unescaped: Self.columns) FROM products
                    WHERE (\(featured)::boolean IS NULL OR featured = \(featured)::boolean)
                      AND (\(category)::text IS NULL OR category = \(category)::text)
                    ORDER BY id
                    """, logger: self.logger))
        }
    }

    public func product(id: Int64) async throws -> Product? {
        try await leased { connection in
            try await Self.rows(
                connection.query(
                    "SELECT \(unescaped: Self.columns) FROM products WHERE id = \(id)", logger: self.logger)
            ).first
        }
    }

    public func categories() async throws -> [String] {
        try await leased { connection in
            try await connection.query("SELECT DISTINCT category FROM products ORDER BY category", logger: self.logger)
                .values(String.self)
        }
    }

    /// Writes to one category take its advisory lock before looking at it, so that of two writes
    /// that each remove or add a category's last or first product, the second sees the first.
    public func create(_ draft: ProductDraft) async throws -> ProductWrite {
        try await leased { connection in
            try await connection.withTransaction(logger: self.logger) { connection in
                try await Self.lockCategory(draft.category, connection, self.logger)
                let known = try await Self.hasCategory(draft.category, connection, self.logger)
                let inserted = try await connection.query(
                    """
                    INSERT INTO products (name, price, featured, category)
                    VALUES (\(draft.name), \(draft.price), \(draft.featured), \(draft.category)) RETURNING id
                    """, logger: self.logger
                ).values(Int64.self)
                guard let id = inserted.first else { throw NoRowReturned() }
                let product = Product(
                    id: id, name: draft.name, price: draft.price, featured: draft.featured, category: draft.category)
                return ProductWrite(product: product, categoriesChanged: !known)
            }
        }
    }

    public func delete(id: Int64) async throws -> ProductWrite? {
        try await leased { connection in
            try await connection.withTransaction(logger: self.logger) { connection in
                guard
                    let product = try await Self.rows(
                        connection.query(
                            "DELETE FROM products WHERE id = \(id) RETURNING \(unescaped: Self.columns)",
                            logger: self.logger)
                    ).first
                else { return nil }
                try await Self.lockCategory(product.category, connection, self.logger)
                let remains = try await Self.hasCategory(product.category, connection, self.logger)
                return ProductWrite(product: product, categoriesChanged: !remains)
            }
        }
    }

    public func ping() async throws {
        try await leased { connection in try await connection.query("SELECT 1", logger: self.logger) }
    }

    private static func lockCategory(_ category: String, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(category)))", logger: logger)
    }

    private static func hasCategory(_ category: String, _ connection: PostgresConnection, _ logger: Logger) async throws -> Bool {
        try await connection.query("SELECT EXISTS (SELECT 1 FROM products WHERE category = \(category))", logger: logger)
            .values(Bool.self).first ?? false
    }

    private static func rows(_ sequence: PostgresRowSequence) async throws -> [Product] {
        var products: [Product] = []
        for try await (id, name, price, featured, category) in sequence.decode((Int64, String, Double, Bool, String).self) {
            products.append(Product(id: id, name: name, price: price, featured: featured, category: category))
        }
        return products
    }

    /// Why a request got no connection in time.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs `body` on a pooled connection; gives up if none is free within `leaseTimeout`. Once
    /// `body` has started it is waited for: a write is never abandoned half-way by this timer.
    private func leased<T: Sendable>(
        within limit: Duration? = nil, _ body: @Sendable @escaping (PostgresConnection) async throws -> T
    ) async throws -> T {
        let lease = LeaseState()
        let timeout = limit ?? leaseTimeout
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await self.client.withConnection { connection in
                    guard lease.start() else { throw CancellationError() }
                    return try await body(connection)
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let value = next { return value }
                if lease.abandon() {
                    throw Unavailable(description: "no PostgreSQL connection within \(DurationText.format(timeout))")
                }
            }
            throw CancellationError()
        }
    }
}

/// An `INSERT … RETURNING` that returned nothing (the transaction is rolled back).
private struct NoRowReturned: Error {}

/// Whether a request's body started on its connection or was given up first: exactly one wins.
private final class LeaseState: Sendable {
    private let state = Atomic<Int>(0)  // 0 waiting, 1 started, 2 abandoned

    func start() -> Bool { state.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged }
    func abandon() -> Bool { state.compareExchange(expected: 0, desired: 2, ordering: .acquiringAndReleasing).exchanged }
}

extension PostgresRowSequence {
    /// Every row's single column, decoded as `T`.
    fileprivate func values<T: PostgresDecodable>(_ type: T.Type) async throws -> [T] {
        var values: [T] = []
        for try await value in decode(T.self) { values.append(value) }
        return values
    }
}
