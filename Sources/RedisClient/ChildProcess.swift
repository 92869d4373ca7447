import Glibc

/// A child process started with posix_spawn and reaped with waitpid. Foundation's `Process`
/// relies on a SIGCHLD run-loop source that never fires inside some hosts (the test runner
/// among them), so its `waitUntilExit` can hang; this does not.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private var status: Int32?

    /// Starts `path` with `arguments`; standard output and error go to `outputPath` (default: /dev/null).
    public init(
        path: String, arguments: [String], outputPath: String = "/dev/null", environment: [String: String]? = nil
    ) throws(SpawnError) {
        // With SIGCHLD ignored (as some hosts set it) children are reaped by the kernel and
        // their exit status is lost; the default disposition keeps it for waitpid.
        Glibc.signal(SIGCHLD, SIG_DFL)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envStrings = environment.map { $0.map { "\($0.key)=\($0.value)" } }
        let envp = envStrings.map { $0.map { strdup($0) } + [nil] }
        defer { envp?.forEach { free($0) } }

        // A child inherits the spawning thread's signal mask, and Dispatch's threads block
        // most signals: without this, the child would never see SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        // Its own process group: Ctrl-C in a terminal signals the foreground group, and an embedded
        // redis-server must outlive the server's drain (the parent stops it last), not die first.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        var child: pid_t = 0
        let result =
            envp.map { env in posix_spawn(&child, path, &actions, &attributes, argv, env) }
            ?? posix_spawn(&child, path, &actions, &attributes, argv, environ)
        guard result == 0 else { throw SpawnError(path: path, code: result) }
        pid = child
    }

    public var isRunning: Bool {
        if status != nil { return false }
        var raw: Int32 = 0
        switch waitpid(pid, &raw, WNOHANG) {
        case pid:
            status = raw
            return false
        case -1 where errno == ECHILD:
            status = -1
            return false  // reaped elsewhere: gone, status unknown
        default: return true
        }
    }

    public func signal(_ signal: Int32) { if isRunning { kill(pid, signal) } }

    /// Waits up to `timeout` for the child to exit, without blocking a thread; returns its exit
    /// code (128+signal when killed by a signal), or nil if it is still running.
    @discardableResult
    public func wait(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return exitCode
    }

    public var exitCode: Int32? {
        guard let raw = status, raw >= 0 else { return nil }
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`.
    public func terminate(grace: Duration = .seconds(3)) async {
        guard isRunning else { return }
        kill(pid, SIGCONT)
        kill(pid, SIGTERM)
        if await wait(timeout: grace) == nil {
            kill(pid, SIGKILL)
            await wait(timeout: .seconds(2))
        }
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public let path: String
        public let code: Int32
        public var description: String { "cannot start \(path): \(String(cString: strerror(code)))" }
    }
}
