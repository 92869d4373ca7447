import Foundation
import RedisClient

/// A program in a real terminal: tmux runs it, `send` types, `screen` reads the pane. The session
/// is killed when the test ends (`kill`).
public struct Tmux: Sendable {
    public let session = "cachescope-e2e-\(UUID().uuidString.prefix(6))"

    public init() {}

    @discardableResult
    public func run(_ arguments: String...) async throws -> String { try await run(arguments) }

    @discardableResult
    public func run(_ arguments: [String]) async throws -> String {
        let output = Scratch.path("tmux-\(UUID().uuidString).out")
        let child = try ChildProcess(path: "/usr/bin/tmux", arguments: arguments, outputPath: output)
        await child.wait(timeout: .seconds(10))
        defer { try? FileManager.default.removeItem(atPath: output) }
        return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    }

    /// Starts `command` (a shell line) in a new detached session of `width`×`height`.
    public func start(_ command: String, width: Int = 120, height: Int = 40) async throws {
        try await run("new-session", "-d", "-s", session, "-x", String(width), "-y", String(height), command)
    }

    public func send(_ keys: String...) async throws { try await run(["send-keys", "-t", session] + keys) }

    public func screen() async throws -> String { try await run("capture-pane", "-p", "-t", session) }

    /// Polls the pane until `predicate` holds (up to `timeout`); returns the last screen.
    public func waitForScreen(timeout: Duration = .seconds(10), _ predicate: (String) -> Bool) async throws -> String {
        var text = ""
        await waitUntil(timeout: timeout, every: .milliseconds(200)) {
            text = (try? await screen()) ?? ""
            return predicate(text)
        }
        return text
    }

    public func kill() {
        Task { [session] in
            _ = try? await ChildProcess(path: "/usr/bin/tmux", arguments: ["kill-session", "-t", session]).wait(
                timeout: .seconds(5))
        }
    }
}
