import ServiceLifecycle
import Synchronization

/// A store whose reads can be made slow (`--origin-delay`) or failing (`POST /debug/origin`), to
/// watch the cache cope with a slow or dead database. Writes pass through untouched.
///
/// The delay passes after the query, like a real query whose snapshot is taken when it starts.
public final class ControlledStore: ProductStore {
    private let base: any ProductStore
    private let readDelay: Duration
    private let readsFail = Atomic(false)

    public init(_ base: any ProductStore, readDelay: Duration) {
        self.base = base
        self.readDelay = readDelay
    }

    /// Makes every read fail (or stop failing), as a dead database would.
    public func failReads(_ failing: Bool) { readsFail.store(failing, ordering: .relaxed) }

    public var readsAreFailing: Bool { readsFail.load(ordering: .relaxed) }

    /// Why a read failed on purpose.
    public struct ReadsFailing: Error, CustomStringConvertible {
        public var description: String { "store reads fail on purpose (POST /debug/origin)" }
    }

    public func products(featured: Bool?, category: String?) async throws -> [Product] {
        try await slowed { try await base.products(featured: featured, category: category) }
    }

    public func product(id: Int64) async throws -> Product? {
        try await slowed { try await base.product(id: id) }
    }

    public func categories() async throws -> [String] {
        try await slowed { try await base.categories() }
    }

    public func create(_ draft: ProductDraft) async throws -> ProductWrite { try await base.create(draft) }

    public func delete(id: Int64) async throws -> ProductWrite? { try await base.delete(id: id) }

    public func ping() async throws {
        if readsAreFailing { throw ReadsFailing() }
        try await base.ping()
    }

    public var services: [any Service] { base.services }

    public func prepare() async throws { try await base.prepare() }

    private func slowed<T: Sendable>(_ read: () async throws -> T) async throws -> T {
        if readsAreFailing { throw ReadsFailing() }
        let result = try await read()
        if readDelay > .zero { try await Task.sleep(for: readDelay) }
        return result
    }
}
