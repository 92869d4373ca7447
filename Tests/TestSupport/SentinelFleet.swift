import Foundation
import RedisClient
import Testing

/// A Redis master, one replica and three sentinels (quorum 2, `down-after-milliseconds 1000`),
/// all real redis-server processes on free ports, for failover tests.
public final class SentinelFleet: Sendable {
    public static let masterName = "cachescope"
    public let masterPort: Int
    public let replicaPort: Int
    public let sentinelPorts: [Int]
    private let processes: [ChildProcess]

    private init(masterPort: Int, replicaPort: Int, sentinelPorts: [Int], processes: [ChildProcess]) {
        self.masterPort = masterPort
        self.replicaPort = replicaPort
        self.sentinelPorts = sentinelPorts
        self.processes = processes
    }

    /// `sentinel://…/cachescope`.
    public var url: String {
        "sentinel://" + sentinelPorts.map { "127.0.0.1:\($0)" }.joined(separator: ",") + "/\(Self.masterName)"
    }

    public var masterProcess: ChildProcess { processes[0] }

    public static func start() async throws -> SentinelFleet {
        let server = try #require(EmbeddedRedis.locateServer())
        let folder = Scratch.path("sentinel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let ports = (0..<5).map { _ in Binary.freePort() }
        let plain = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder]
        var processes = [
            try ChildProcess(path: server, arguments: ["--port", String(ports[0])] + plain, outputPath: folder + "/master.log"),
            try ChildProcess(
                path: server, arguments: ["--port", String(ports[1]), "--replicaof", "127.0.0.1", String(ports[0])] + plain,
                outputPath: folder + "/replica.log"),
        ]
        for (index, port) in ports[2...].enumerated() {
            let configuration = folder + "/sentinel-\(index).conf"
            try """
            port \(port)
            bind 127.0.0.1
            sentinel monitor \(masterName) 127.0.0.1 \(ports[0]) 2
            sentinel down-after-milliseconds \(masterName) 1000
            sentinel failover-timeout \(masterName) 5000
            sentinel parallel-syncs \(masterName) 1

            """.write(toFile: configuration, atomically: true, encoding: .utf8)
            processes.append(
                try ChildProcess(
                    path: server, arguments: [configuration, "--sentinel"], outputPath: folder + "/sentinel-\(index).log"))
        }
        let fleet = SentinelFleet(
            masterPort: ports[0], replicaPort: ports[1], sentinelPorts: Array(ports[2...]), processes: processes)
        // Ready once every sentinel knows the master, its replica and the other two sentinels.
        let ready = await waitUntil(timeout: .seconds(20), every: .milliseconds(200)) {
            for port in fleet.sentinelPorts {
                let sentinel = RedisPipeline(
                    endpoint: RedisEndpoint(address: .tcp(host: "127.0.0.1", port: port)), name: "check", options: .background)
                defer { sentinel.stop() }
                guard let master = try? await sentinel.send(RedisCommand("SENTINEL", "master", masterName)) else { return false }
                let fields = master.elements.compactMap(\.string)
                func value(_ name: String) -> String? { fields.firstIndex(of: name).map { fields[$0 + 1] } }
                guard value("num-slaves") == "1", value("num-other-sentinels") == "2" else { return false }
            }
            return true
        }
        guard ready else {
            await fleet.stop()
            throw Shell.Failure(description: "the sentinels did not see the master, its replica and each other within 20 s")
        }
        return fleet
    }

    /// The port of the server the first sentinel names as master now.
    public func currentMasterPort() async -> Int? {
        let sentinel = RedisPipeline(
            endpoint: RedisEndpoint(address: .tcp(host: "127.0.0.1", port: sentinelPorts[0])), name: "check", options: .background
        )
        defer { sentinel.stop() }
        let reply = try? await sentinel.send(RedisCommand("SENTINEL", "get-master-addr-by-name", Self.masterName))
        return reply?.elements.last?.string.flatMap { Int($0) }
    }

    public func stop() async {
        for process in processes { await process.terminate(grace: .seconds(1)) }
    }
}

/// Runs `body` with a fresh Sentinel fleet, stopped afterwards.
public func withSentinelFleet(_ body: (SentinelFleet) async throws -> Void) async throws {
    try await using(try await SentinelFleet.start(), stop: { await $0.stop() }, body)
}
