import Dispatch
import Foundation
import Synchronization

/// SIGINT, SIGTERM and SIGHUP (a closed terminal), caught from the first moment of a command:
/// a signal during start-up cancels it, one later stops what runs gracefully; either way the
/// command returns normally, so an embedded redis-server is stopped. Inside the dashboard
/// Ctrl-C is a key, not a signal.
public final class StopSignals: @unchecked Sendable {  // the sources are only kept alive here
    private final class State: Sendable {
        let value = Mutex<(requested: Bool, handlers: [@Sendable () -> Void])>((false, []))

        func stop() {
            let handlers = value.withLock { state in
                defer { state = (true, []) }
                return state.handlers
            }
            handlers.forEach { $0() }
        }
    }

    private let state = State()
    private let sources: [any DispatchSourceSignal]

    public init() {
        let state = self.state
        sources = [SIGINT, SIGTERM, SIGHUP].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { state.stop() }
            source.resume()
            return source
        }
    }

    public var requested: Bool { state.value.withLock { $0.requested } }

    /// Runs `handler` at the first signal, or at once if one has come already.
    public func onStop(_ handler: @escaping @Sendable () -> Void) {
        let now = state.value.withLock { state -> Bool in
            if !state.requested { state.handlers.append(handler) }
            return state.requested
        }
        if now { handler() }
    }

    deinit { sources.forEach { $0.cancel() } }
}
