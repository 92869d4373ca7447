import NIOCore
import Synchronization

/// Finds the master of a `SentinelGroup` as the Sentinel client protocol says: ask each sentinel
/// in turn, with a short timeout, `SENTINEL get-master-addr-by-name`, and move the first that
/// answers to the front. It also listens for `+switch-master` on every sentinel. Whenever the
/// master it finds differs from the last one, it tells everyone who asked (`onMasterChange`):
/// that is a failover, seen however it was learnt.
///
/// One per group in a process (`shared(for:)`), so that every connection to the same master agrees.
public final class SentinelLocator: Sendable {
    public typealias Master = SentinelGroup.Sentinel

    public let group: SentinelGroup
    private let state: Mutex<State>
    private let clients: [Master: RedisPipeline]

    private struct State {
        var order: [Master]
        var master: Master?
        var handlers: [@Sendable (Master?, Master) -> Void] = []
        var watching = false
    }

    private static let registry = Mutex<[SentinelGroup: SentinelLocator]>([:])

    public static func shared(for group: SentinelGroup) -> SentinelLocator {
        registry.withLock { registry in
            if let known = registry[group] { return known }
            let locator = SentinelLocator(group: group)
            registry[group] = locator
            return locator
        }
    }

    private init(group: SentinelGroup) {
        self.group = group
        state = Mutex(State(order: group.sentinels))
        let options = RedisPipeline.Options(ioTimeout: .milliseconds(500), retryInterval: .milliseconds(100))
        clients = Dictionary(
            uniqueKeysWithValues: group.sentinels.map { sentinel in
                let endpoint = RedisEndpoint(address: .tcp(host: sentinel.host, port: sentinel.port))
                return (sentinel, RedisPipeline(endpoint: endpoint, name: "sentinel", options: options))
            })
    }

    /// The master as last found (nil before the first answer).
    public var currentMaster: Master? { state.withLock { $0.master } }

    /// Called with the old and new master whenever the master changes (not for the first one found).
    public func onMasterChange(_ handler: @escaping @Sendable (Master?, Master) -> Void) {
        state.withLock { $0.handlers.append(handler) }
    }

    /// Asks the sentinels, first to last, until one names the master.
    public func master() async throws(RedisError) -> Master {
        startWatching()
        var reasons: [String] = []
        for sentinel in state.withLock({ $0.order }) {
            guard let client = clients[sentinel] else { continue }
            do {
                let reply = try await client.send(RedisCommand("SENTINEL", "get-master-addr-by-name", group.master))
                let words = reply.elements.compactMap(\.string)
                guard words.count == 2, let port = Int(words[1]) else {
                    reasons.append("\(sentinel.host):\(sentinel.port) knows no master '\(group.master)'")
                    continue
                }
                state.withLock { state in
                    state.order.removeAll { $0 == sentinel }
                    state.order.insert(sentinel, at: 0)
                }
                let master = Master(host: words[0], port: port)
                found(master)
                return master
            } catch {
                reasons.append("\(sentinel.host):\(sentinel.port): \(error)")
            }
        }
        throw .unavailable("no sentinel named the master '\(group.master)' (\(reasons.joined(separator: "; ")))")
    }

    /// Records the master; tells the handlers if it changed.
    private func found(_ master: Master) {
        let (old, handlers): (Master?, [@Sendable (Master?, Master) -> Void]) = state.withLock { state in
            defer { state.master = master }
            guard let old = state.master, old != master else { return (nil, []) }
            return (old, state.handlers)
        }
        for handler in handlers { handler(old, master) }
    }

    /// Subscribes to `+switch-master` on every sentinel, and again after a sentinel comes back.
    private func startWatching() {
        guard
            state.withLock({ state in
                defer { state.watching = true }
                return !state.watching
            })
        else { return }
        for sentinel in group.sentinels {
            let endpoint = RedisEndpoint(address: .tcp(host: sentinel.host, port: sentinel.port))
            let subscription = RedisPipeline(endpoint: endpoint, name: "sentinel-events", options: .background)
            subscription.onPush { [weak self] message in
                // ["message", "+switch-master", "<name> <old-ip> <old-port> <new-ip> <new-port>"]
                guard let self, let text = message.elements.last?.string else { return }
                let words = text.split(separator: " ").map(String.init)
                guard words.count == 5, words[0] == self.group.master, let port = Int(words[4]) else { return }
                self.found(Master(host: words[3], port: port))
            }
            Task.detached {
                while true {
                    if (try? await subscription.send(RedisCommand("SUBSCRIBE", "+switch-master"))) != nil {
                        while subscription.isUp { try? await Task.sleep(for: .milliseconds(500)) }
                    }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }
}
