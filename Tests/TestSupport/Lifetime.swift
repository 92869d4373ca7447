/// Runs `body` with `resource`, then `stop`s it, whether `body` returned or threw: the shape of every
/// `withRedis`, `withServer`, `withPostgres` and `withSentinelFleet`.
public func using<Resource>(
    _ resource: Resource, stop: (Resource) async -> Void, _ body: (Resource) async throws -> Void
) async throws {
    do {
        try await body(resource)
    } catch {
        await stop(resource)
        throw error
    }
    await stop(resource)
}
