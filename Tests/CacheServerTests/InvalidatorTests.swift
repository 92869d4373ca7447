import CacheProtocol
import Foundation
import Logging
import ProductAPI
import TestSupport
import Testing

@testable import CacheScopeKit

@Suite struct InvalidatorTests {
    /// A write made while an earlier invalidation is still queued carries the queue out first,
    /// instead of queueing behind it and returning with nothing done. No background replayer runs
    /// here: only the write itself can empty the queue.
    @Test func aWriteCarriesOutPendingInvalidationsFirst() async throws {
        try await withRedis { redis in
            var configuration = ServerConfiguration()
            configuration.cache.redis = redis.endpoint
            configuration.store = .sqlite(path: TestServer.temporaryDatabase())
            let server = try ProductServer(configuration: configuration, logger: Logger(label: "invalidator-test")).cache
            defer { server.shutdown() }
            let pid = try #require(redis.processIdentifier)
            kill(pid, SIGSTOP)
            #expect(await server.invalidator.invalidate([.pattern("shop:/products:*")], reason: "during a stall") == nil)
            kill(pid, SIGCONT)
            #expect(server.invalidator.pending.count == 1)

            // Past the reconnect back-off; on a loaded machine a write may still find Redis unready,
            // and then queues too: the next write carries out everything queued.
            var done: Int?
            for _ in 0..<10 where done == nil {
                try await Task.sleep(for: .milliseconds(400))
                done = await server.invalidator.invalidate([.pattern("shop:/categories:*")], reason: "after")
            }
            #expect(done != nil)
            #expect(server.invalidator.pending.isEmpty)
            await redis.stop()
        }
    }
}
