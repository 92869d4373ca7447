import CacheCore
import CacheProtocol
import Dashboard
import DashboardTerminal
import Foundation
import RedisClient
import Synchronization

/// What a dashboard watches and where it sends actions.
public struct DashboardOptions: Sendable {
    public var redis: RedisEndpoint
    public var mode: String
    public var prefixes: [String]
    public var eventsKey: String
    public var serverURL: String?
    public var adminToken: String?
    public var refreshMs = 1000
    /// `--readonly`: nothing that changes the cache or the servers.
    public var readOnly = false
    /// Clicks select and the wheel scrolls; `--no-mouse` turns it off.
    public var mouse = true
    /// `--record FILE`: every poll result and outage is appended, for `cachescope replay`.
    public var recording: FileHandle?

    public init(
        redis: RedisEndpoint, mode: String, prefixes: [String], eventsKey: String,
        serverURL: String?, adminToken: String?
    ) {
        self.redis = redis
        self.mode = mode
        self.prefixes = prefixes
        self.eventsKey = eventsKey
        self.serverURL = serverURL
        self.adminToken = adminToken
    }
}

/// The dashboard's shell: a dedicated thread owns the terminal and the state; polls and
/// effects run as tasks and hand their results back through an inbox. It redraws only when
/// something changed, so an idle dashboard costs next to nothing.
public final class DashboardSession: Sendable {
    private let options: DashboardOptions
    private let inbox = Mutex<[DashboardInput]>([])
    private let stopRequested = Atomic<Bool>(false)
    private let pollInFlight = Atomic<Bool>(false)

    public init(options: DashboardOptions) {
        self.options = options
    }

    /// Why the terminal cannot show a dashboard, or nil if it can. Check before starting anything:
    /// ncurses ends the process when TERM is unusable.
    public static func terminalProblem() -> String? { TerminalCheck.usable() }

    /// Asks the loop to end (from a signal handler or another task).
    public func requestStop() { stopRequested.store(true, ordering: .relaxed) }

    /// Runs until `q`, Ctrl-C or `requestStop()`; the terminal is restored when it returns.
    public func run() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread { [self] in
                loop()
                done.resume()
            }
            thread.name = "dashboard"
            thread.start()
        }
    }

    private func post(_ input: DashboardInput) {
        inbox.withLock { $0.append(input) }
    }

    private func loop() {
        let redis = RedisPipeline(
            endpoint: options.redis, name: "dashboard",
            options: .init(ioTimeout: .milliseconds(500), retryInterval: .milliseconds(500)))
        defer { redis.stop() }
        let poller = RedisPoller(redis: redis, eventsKey: options.eventsKey, prefixes: options.prefixes)
        let effects = EffectRunner(
            redis: redis, eventsKey: options.eventsKey, serverURL: options.serverURL,
            adminToken: options.adminToken
        ) { [self] input in post(input) }
        defer { effects.stopLoad() }
        let terminal = Terminal(mouse: options.mouse)
        defer { terminal.restore() }
        let (width, height) = terminal.size
        let config = DashboardConfig(
            mode: options.mode, prefixes: options.prefixes, refreshMs: options.refreshMs,
            redisAddress: "\(options.redis)", readOnly: options.readOnly)
        var state = DashboardState(config: config, width: width, height: height, nowMs: Self.nowMs())
        var refresh = Duration.milliseconds(options.refreshMs)
        var nextPoll = ContinuousClock.now
        var nextTick = ContinuousClock.now + .seconds(1)
        var dirty = true

        if let recording = options.recording {
            let header = Recording.Header(
                mode: options.mode, prefixes: options.prefixes, redis: "\(options.redis)", startedMs: Self.nowMs())
            recording.write(Data((Recording.line(for: header) + "\n").utf8))
        }
        func apply(_ input: DashboardInput) -> Bool {
            if case .poll(let result) = input { effects.serversAnnounced(result.servers) }
            if let recording = options.recording, let line = Recording.line(for: input, atMs: Self.nowMs()) {
                recording.write(Data((line + "\n").utf8))
            }
            for effect in update(&state, input) {
                switch effect {
                case .quit: return false
                case .setRefreshInterval(let ms): refresh = .milliseconds(ms)
                default: effects.perform(effect)
                }
            }
            dirty = true
            return true
        }

        while !stopRequested.load(ordering: .relaxed) {
            for input in inbox.withLock({ queue in
                defer { queue = [] }
                return queue
            }) where !apply(input) { return }
            let now = ContinuousClock.now
            if now >= nextTick {
                nextTick = now + .seconds(1)
                if !apply(.tick(nowMs: Self.nowMs())) { return }
            }
            if now >= nextPoll, !pollInFlight.exchange(true, ordering: .acquiring) {
                nextPoll = now + refresh
                let visible = state.visibleKeys, tracked = state.trackedKeys, inspected = state.inspected
                Task { [self] in
                    do {
                        post(
                            .poll(
                                try await poller.poll(
                                    visibleKeys: visible, trackedKeys: tracked, inspected: inspected, nowMs: Self.nowMs())))
                    } catch {
                        post(.redisDown(reason: "\(error)"))
                    }
                    pollInFlight.store(false, ordering: .releasing)
                }
            }
            if dirty {
                terminal.draw(render(state))
                dirty = false
            }
            switch terminal.readKey(timeoutMs: 50) {
            case .key(let key)?: if !apply(.key(key)) { return }
            case .resize(let width, let height)?: if !apply(.resize(width: width, height: height)) { return }
            case .interrupt?: return
            case nil: break
            }
        }
    }

    static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
