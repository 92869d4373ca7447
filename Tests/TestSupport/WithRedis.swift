import Foundation
import RedisClient
import Testing

/// Runs `body` with a private redis-server on a random port, stopped afterwards. The ports lie
/// below the kernel's ephemeral range, so they never collide with `Binary.freePort()`.
public func withRedis(_ body: (EmbeddedRedis) async throws -> Void) async throws {
    var started: EmbeddedRedis?
    for _ in 0..<20 where started == nil {
        let redis = EmbeddedRedis(listen: .port(Int.random(in: 20_000...32_000)))
        if (try? await redis.start()) != nil { started = redis }
    }
    try await using(try #require(started, "no free port for a test redis-server"), stop: { await $0.stop() }, body)
}
