import Foundation

/// A private `redis-server` child process: no persistence, listening only on loopback or a
/// unix socket. Used when no Redis is configured, and by the tests.
public final class EmbeddedRedis: @unchecked Sendable {
    public enum Listen: Sendable {
        case port(Int)
        case unixSocket(String)
    }

    public struct NotInstalled: Error, CustomStringConvertible {
        public init() {}
        public var description: String {
            "redis-server is not installed. Install it with `sudo apt-get install redis-server` (or `make deps`), or pass --redis URL."
        }
    }

    public let listen: Listen
    private let lock = NSLock()
    private var process: ChildProcess?

    public init(listen: Listen) { self.listen = listen }

    /// Where clients connect.
    public var endpoint: RedisEndpoint {
        switch listen {
        case .port(let port): RedisEndpoint(address: .tcp(host: "127.0.0.1", port: port))
        case .unixSocket(let path): RedisEndpoint(address: .unix(path: path))
        }
    }

    public var processIdentifier: Int32? { lock.withLock { process?.pid } }

    private static let privateFolderPrefix = "cachescope-"
    /// In each private folder, from its creation: the pid of the process it belongs to.
    private static let ownerFile = "owner"

    /// A fresh unix socket path in a new private temporary directory, owned by this process. The
    /// servers of earlier runs that were killed outright (SIGKILL leaves no chance to stop them)
    /// are stopped first.
    public static func privateSocket() async throws -> Listen {
        await sweepOrphans(in: FileManager.default.temporaryDirectory)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(privateFolderPrefix + UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(
            at: dir, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        try String(getpid()).write(to: dir.appendingPathComponent(ownerFile), atomically: true, encoding: .utf8)
        return .unixSocket(dir.appendingPathComponent("redis.sock").path)
    }

    /// Starts the server and waits until it answers PING (up to 5 s).
    public func start() async throws {
        guard let binary = Self.locateServer() else { throw NotInstalled() }
        var arguments = [
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes",
            "--loglevel", "warning", "--logfile", "",
        ]
        switch listen {
        case .port(let port): arguments += ["--port", String(port), "--bind", "127.0.0.1"]
        case .unixSocket(let path): arguments += ["--port", "0", "--unixsocket", path, "--unixsocketperm", "700"]
        }
        let child = try ChildProcess(path: binary, arguments: arguments)
        lock.withLock { process = child }
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if !child.isRunning { throw RedisError.unavailable("redis-server exited at start (is \(listen) in use?)") }
            if await Self.ping(endpoint) == .status("PONG") { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        await stop()
        throw RedisError.unavailable("redis-server did not answer within 5 s")
    }

    /// Stops the server and waits for it to exit.
    public func stop() async {
        guard
            let child = lock.withLock({
                defer { process = nil }
                return process
            })
        else { return }
        await child.terminate()
        if case .unixSocket(let path) = listen {
            try? FileManager.default.removeItem(atPath: path)
        }
        // The folder `privateSocket` made for it, once empty (rmdir leaves anything else alone).
        if let folder = privateFolder {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(Self.ownerFile))
            rmdir(folder.path)
        }
    }

    /// The folder `privateSocket` made for this server, if it listens in one.
    private var privateFolder: URL? {
        guard case .unixSocket(let path) = listen else { return nil }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        return folder.lastPathComponent.hasPrefix(Self.privateFolderPrefix) ? folder : nil
    }

    /// Shuts down the server of every private folder whose owner process is gone, through the
    /// folder's own socket (so it is that folder's server, whatever its pid or process title), and
    /// removes the folder once nothing answers there. Folders of live processes are left alone.
    static func sweepOrphans(in temporary: URL) async {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        for name in names where name.hasPrefix(privateFolderPrefix) {
            let folder = temporary.appendingPathComponent(name)
            guard let text = try? String(contentsOf: folder.appendingPathComponent(ownerFile), encoding: .utf8),
                let owner = pid_t(text), kill(owner, 0) == -1, errno == ESRCH
            else { continue }
            let orphan = RedisEndpoint(address: .unix(path: folder.appendingPathComponent("redis.sock").path))
            if await answers(orphan) {
                let connection = RedisPipeline(endpoint: orphan, name: "sweep", options: .init(ioTimeout: .milliseconds(500)))
                _ = try? await connection.send(RedisCommand("SHUTDOWN", "NOSAVE"))  // answered by closing
                connection.stop()
            }
            guard await !answers(orphan) else { continue }  // a later run tries again
            try? FileManager.default.removeItem(at: folder)
        }
    }

    public static func locateServer() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates =
            path.split(separator: ":").map { "\($0)/redis-server" } + ["/usr/bin/redis-server", "/usr/sbin/redis-server"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether something answers at the endpoint (any reply, even one asking for a password).
    public static func answers(_ endpoint: RedisEndpoint) async -> Bool {
        await ping(endpoint) != nil
    }

    /// One PING on a short-lived connection; nil if nothing answered within a few hundred ms.
    private static func ping(_ endpoint: RedisEndpoint) async -> RedisReply? {
        let probe = RedisPipeline(
            endpoint: endpoint, name: "probe",
            options: .init(ioTimeout: .milliseconds(300), connectTimeout: .milliseconds(200)))
        defer { probe.stop() }
        return try? await probe.send(RedisCommand("PING"))
    }
}
