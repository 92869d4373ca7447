/// One origin load in flight on one server, as it publishes it.
public struct InFlightLoad: Sendable, Equatable, Codable {
    public var key: String
    public var server: String
    public var startedMs: Int64
    /// Requests on that server waiting for it (coalesced).
    public var waiters: Int

    public init(key: String, server: String, startedMs: Int64, waiters: Int) {
        self.key = key
        self.server = server
        self.startedMs = startedMs
        self.waiters = waiters
    }
}
