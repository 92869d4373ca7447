import Foundation
import ProductAPI
import RedisClient
import Testing

/// A private PostgreSQL cluster on a random port (`initdb` + `pg_ctl`), for the tests that need a
/// real one. The first start in a test process runs `initdb` into a template that later starts
/// copy, which takes a fraction of the time. As root (CI), the server runs as `postgres`.
public final class PostgresCluster: Sendable {
    public let port: Int
    let dataDirectory: String

    private init(port: Int, dataDirectory: String) {
        self.port = port
        self.dataDirectory = dataDirectory
    }

    /// A new cluster, started.
    public static func start() async throws -> PostgresCluster {
        let template = try await Template.shared.path()
        let directory = try Template.workRoot() + "/cluster-\(UUID().uuidString)"
        try await Shell.run(["cp", "-a", template, directory])
        for _ in 0..<10 {
            let cluster = PostgresCluster(port: Int.random(in: 33_000...40_000), dataDirectory: directory)
            if (try? await cluster.restart()) != nil { return cluster }
        }
        throw Shell.Failure(description: "no free port for a test PostgreSQL")
    }

    /// Starts it again (after `stop`), on the same port.
    public func restart() async throws {
        try await Shell.run(
            Template.asOwner + [
                Template.binary("pg_ctl"), "-D", dataDirectory, "-l", dataDirectory + "/server.log", "-w", "-t", "20",
                "-o", "-p \(port) -k \(dataDirectory) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300",
                "start",
            ])
    }

    /// Stops it at once, like a crash: open connections are cut.
    public func stop() async {
        try? await Shell.run(
            Template.asOwner + [Template.binary("pg_ctl"), "-D", dataDirectory, "-m", "immediate", "-w", "stop"])
    }

    /// A new, empty database on it.
    public func createDatabase() async throws -> PostgresLocation {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await Shell.run([
            Template.binary("createdb"), "-h", "127.0.0.1", "-p", String(port), "-U", Template.superuser, name,
        ])
        return try PostgresLocation(url: "postgres://\(Template.superuser)@127.0.0.1:\(port)/\(name)")
    }

    func destroy() async {
        await stop()
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }
}

/// Runs `body` with a fresh PostgreSQL cluster, stopped and removed afterwards.
public func withPostgres(_ body: (PostgresCluster) async throws -> Void) async throws {
    try await using(try await PostgresCluster.start(), stop: { await $0.destroy() }, body)
}

/// The `initdb` output every cluster of this process copies.
private actor Template {
    static let shared = Template()
    static let superuser = "cachescope"
    /// Root may not run PostgreSQL: then its commands run as `postgres`, in folders it owns.
    static let isRoot = getuid() == 0
    static var asOwner: [String] { isRoot ? ["runuser", "-u", "postgres", "--"] : [] }

    /// One `initdb` however many tests ask at once (the actor would let a second in while it runs).
    private var making: Task<String, any Error>?

    func path() async throws -> String {
        if let making { return try await making.value }
        let task = Task {
            let path = try Self.workRoot() + "/template"
            try await Shell.run(
                Self.asOwner + [
                    Self.binary("initdb"), "-D", path, "-U", Self.superuser, "--auth=trust", "-E", "UTF8", "--no-sync",
                ])
            return path
        }
        making = task
        return try await task.value
    }

    /// A folder for this process's clusters, writable by the user that runs them.
    static func workRoot() throws -> String {
        let root = "/tmp/cachescope-pg-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        if isRoot { chownToPostgres(root) }
        return root
    }

    private static func chownToPostgres(_ path: String) {
        guard let user = getpwnam("postgres") else { return }
        chown(path, user.pointee.pw_uid, user.pointee.pw_gid)
    }

    /// A PostgreSQL program: on PATH, else in Debian's versioned folder.
    static func binary(_ name: String) -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for folder in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
            return "\(folder)/\(name)"
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: >)
        where FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\(version)/bin/\(name)") {
            return "/usr/lib/postgresql/\(version)/bin/\(name)"
        }
        return name
    }
}

/// Runs a program to its end (`ChildProcess`: Foundation's `Process` can hang in the test runner).
public enum Shell {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Output goes to a file, not a pipe: a server it starts (`pg_ctl start`) keeps what it inherits
    /// open, and a pipe would never end.
    public static func run(_ arguments: [String]) async throws {
        let outputPath = Scratch.path("shell-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let process = try ChildProcess(path: "/usr/bin/env", arguments: arguments, outputPath: outputPath)
        guard let code = await process.wait(timeout: .seconds(60)) else {
            await process.terminate()
            throw Failure(description: "\(arguments.joined(separator: " ")) did not end within 60 s")
        }
        guard code == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw Failure(description: "\(arguments.joined(separator: " ")) failed (\(code)): \(text.suffix(600))")
        }
    }
}
