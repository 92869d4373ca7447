import Foundation
import LoadGenerator
import RedisClient

/// The built `cachescope` executable: `$CACHESCOPE_BIN` (set by `make test`), else the debug build.
public enum Binary {
    public static var path: String {
        if let path = ProcessInfo.processInfo.environment["CACHESCOPE_BIN"], !path.isEmpty { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/cachescope").path
    }

    /// The example app built beside it (`cachescope-example`).
    public static var examplePath: String {
        URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("cachescope-example").path
    }

    /// A free TCP port on loopback, below the kernel's ephemeral range (32768-60999 here): a port from
    /// that range, released, can be taken at once as the source port of any outgoing connection.
    /// Redis test servers (`withRedis`) take 20000-32000, so this takes 10000-19999.
    public static func freePort() -> Int {
        while true {
            let port = Int.random(in: 10_000...19_999)
            if isFree(port) { return port }
        }
    }

    private static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        } == 0
    }

    /// `cachescope serve` on a free port with a fresh store, sharing `redis`, with `arguments` added;
    /// its log is beside the store. Stop it with `terminate`.
    public static func serve(redis: RedisEndpoint, _ arguments: [String] = []) throws -> (server: ChildProcess, port: Int) {
        let port = freePort()
        let database = TestServer.temporaryDatabase()
        let server = try ChildProcess(
            path: path,
            arguments: ["serve", "--port", String(port), "--db", database, "--redis", "\(redis)"] + arguments,
            outputPath: "\(database).serve.log")
        return (server, port)
    }

    /// Polls `url` until it answers 200, up to `timeout`.
    public static func waitUntilServing(_ url: String, timeout: Duration = .seconds(30)) async -> Bool {
        let client = HTTPClient(timeout: 1)
        return await waitUntil(timeout: timeout, every: .milliseconds(100)) { (try? await client.get(url))?.status == 200 }
    }
}
