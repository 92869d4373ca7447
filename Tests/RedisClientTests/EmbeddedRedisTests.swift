import Foundation
import RedisClient
import TestSupport
import Testing

@Suite struct EmbeddedRedisTests {
    /// A run killed outright (SIGKILL) cannot stop its embedded redis-server; the next run that
    /// needs one shuts it down through its socket and removes its folder, and leaves the server of
    /// a live run alone.
    @Test func theNextRunStopsAServerWhoseOwnerIsGone() async throws {
        let orphanListen = try await EmbeddedRedis.privateSocket()
        let orphan = EmbeddedRedis(listen: orphanListen)
        try await orphan.start()
        let live = EmbeddedRedis(listen: try await EmbeddedRedis.privateSocket())
        try await live.start()
        guard case .unixSocket(let path) = orphanListen else { return }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        // Its owner is now a process that has exited.
        let gone = try ChildProcess(path: "/bin/true", arguments: [])
        _ = await gone.wait(timeout: .seconds(5))
        try "\(gone.pid)".write(to: folder.appendingPathComponent("owner"), atomically: true, encoding: .utf8)

        let next = try await EmbeddedRedis.privateSocket()
        await waitUntil(timeout: .seconds(10), every: .milliseconds(50)) { await !EmbeddedRedis.answers(orphan.endpoint) }
        #expect(await !EmbeddedRedis.answers(orphan.endpoint))
        #expect(!FileManager.default.fileExists(atPath: folder.path))
        #expect(await EmbeddedRedis.answers(live.endpoint))

        await orphan.stop()
        await live.stop()
        if case .unixSocket(let nextPath) = next {
            try? FileManager.default.removeItem(at: URL(fileURLWithPath: nextPath).deletingLastPathComponent())
        }
    }
}
