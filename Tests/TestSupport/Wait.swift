/// Polls `condition` every `interval` until it holds or `timeout` passes; returns whether it
/// held. The one way tests wait for something asynchronous (a publish, a subscription, a screen).
@discardableResult
public func waitUntil(
    timeout: Duration = .seconds(5), every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        guard ContinuousClock.now < deadline else { return false }
        try? await Task.sleep(for: interval)
    }
}
