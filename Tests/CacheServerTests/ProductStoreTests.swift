import CacheProtocol
import CacheScopeKit
import ProductAPI
import TestSupport
import Testing

@Suite struct ProductStoreTests {
    /// Servers sharing a store may start at the same moment on a file that does not exist yet:
    /// each must open it (one waits for the other's set-up), and the seed goes in once.
    @Test func serversStartingTogetherOnANewStoreAllOpenIt() async throws {
        for _ in 0..<20 {
            let path = TestServer.temporaryDatabase()
            let opened = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<4 {
                    group.addTask { (try? ProductStore(path: path, originDelay: .zero)) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(opened == [true, true, true, true])
            #expect(try await ProductStore(path: path, originDelay: .zero).products(featured: nil, category: nil).count == 5)
        }
    }
}
