import Dashboard
import DashboardTerminal
import Foundation

/// `cachescope replay`: the dashboard fed from a recording instead of Redis. Nothing is sent
/// anywhere (the state is read-only); the recording's polls go through `update` at their recorded
/// pace × speed, and every view, query and key works on them as they did live.
public final class ReplaySession {
    private let contents: Recording.Contents
    private let speed: Double
    private let source: String

    public init(contents: Recording.Contents, speed: Double, source: String) {
        self.contents = contents
        self.speed = speed
        self.source = source
    }

    /// A fresh state for the recording's header, as big as the terminal.
    static func initialState(_ header: Recording.Header, width: Int, height: Int) -> DashboardState {
        let config = DashboardConfig(
            mode: "replay", prefixes: header.prefixes, refreshMs: 1000, redisAddress: header.redis, readOnly: true)
        return DashboardState(config: config, width: width, height: height, nowMs: header.startedMs)
    }

    /// Until `q` or Ctrl-C; the terminal is restored when it returns.
    public func run() {
        let terminal = Terminal()
        defer { terminal.restore() }
        var (width, height) = terminal.size
        var state = Self.initialState(contents.header, width: width, height: height)
        var control = ReplayControl(entries: contents.entries, speed: speed)
        var last = ContinuousClock.now
        var shownStatus = ""
        func feed(_ range: Range<Int>) {
            for entry in contents.entries[range] { if let input = entry.input { _ = update(&state, input) } }
        }
        while true {
            let now = ContinuousClock.now
            feed(control.advance(wallMs: Double((now - last).wholeMilliseconds)))
            last = now
            var status = "\(source): " + control.status
            if control.isFinished { status = "\(source): the end, \(contents.damage ?? "\(contents.entries.count) polls")" }
            if status != shownStatus {
                _ = update(&state, .actionFinished(status))
                shownStatus = status
            }
            terminal.draw(render(state))
            switch terminal.readKey(timeoutMs: 50) {
            case .key(let key)?:
                switch control.handle(key) {
                case .feed(let range)?: feed(range)
                case .rebuild(let upTo)?:
                    let view = state.view
                    state = Self.initialState(contents.header, width: width, height: height)
                    feed(0..<upTo)
                    if view != .keys { _ = update(&state, .key(.char(Character(String(view.rawValue))))) }
                case .none?: break
                case nil: if update(&state, .key(key)).contains(.quit) { return }
                }
            case .resize(let newWidth, let newHeight)?:
                (width, height) = (newWidth, newHeight)
                _ = update(&state, .resize(width: width, height: height))
            case .interrupt?: return
            case nil: break
            }
        }
    }
}
