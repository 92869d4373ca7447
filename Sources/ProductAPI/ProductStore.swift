import ServiceLifecycle

/// Where the products live: what the catalogue's loads read and its writes change. Every
/// implementation passes the same contract suite (`ProductStoreContractTests`).
///
/// Each write is one transaction: it is applied whole or not at all, and a thrown error means
/// it was not applied (or, for a connection lost while committing, that the store cannot say:
/// the caller is told it failed either way).
public protocol ProductStore: Sendable {
    /// Products by id, optionally only those with this `featured` and `category`.
    func products(featured: Bool?, category: String?) async throws -> [Product]
    func product(id: Int64) async throws -> Product?
    /// The categories that have products, sorted.
    func categories() async throws -> [String]
    func create(_ draft: ProductDraft) async throws -> ProductWrite
    /// Deletes the product; nil if there was none.
    func delete(id: Int64) async throws -> ProductWrite?
    /// A cheap round trip, for telling a store that is down from one that is back.
    func ping() async throws

    /// What must run for as long as the store is used (a connection pool), in the server's `ServiceGroup`.
    var services: [any Service] { get }
    /// Creates or migrates the schema (and seeds an empty store) before the first request.
    func prepare() async throws
}

extension ProductStore {
    public var services: [any Service] { [] }
    public func prepare() async throws {}
}

/// Which store a server uses: `--db PATH` (SQLite, the embedded default) or `--store postgres://…`.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// The flag that sets it, for errors.
    public var flag: String {
        switch self {
        case .sqlite: "--db"
        case .postgres: "--store (or DATABASE_URL)"
        }
    }

    /// The location, with no password.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let location): location.description
        }
    }
}
