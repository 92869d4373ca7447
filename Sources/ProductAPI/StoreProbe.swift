import CacheScopeKit
import ServiceLifecycle

/// While the origin is marked down, pings the store every second, so that `/health` and the log
/// say it is back as soon as it is, traffic or not.
struct StoreProbe: Service {
    let store: any ProductStore
    let health: OriginHealth
    var interval: Duration = .seconds(1)

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !health.current.isUp, !Task.isCancelled else { continue }
                do {
                    try await store.ping()
                    health.succeeded()
                } catch {
                    health.failed(error)
                }
            }
        }
    }
}
