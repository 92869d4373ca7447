import Foundation
import LoadGenerator
import RedisClient
import TestSupport
import Testing

/// `cachescope serve` against a real redis-server over TLS (a CA and a server certificate made
/// here with openssl) and with an ACL user: what works, and the settings that exit 2 naming a flag.
@Suite struct RedisTLSAndACLTests {
    /// A CA, and a certificate for 127.0.0.1 that it signed.
    struct Certificates {
        let folder: String
        var ca: String { folder + "/ca.crt" }
        var serverCertificate: String { folder + "/server.crt" }
        var serverKey: String { folder + "/server.key" }

        static func make() async throws -> Certificates {
            let folder = Scratch.path("tls-\(UUID().uuidString)")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let certificates = Certificates(folder: folder)
            try "subjectAltName=IP:127.0.0.1\n".write(toFile: folder + "/san.cnf", atomically: true, encoding: .utf8)
            try await Shell.run([
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", folder + "/ca.key", "-out",
                certificates.ca, "-days", "1", "-subj", "/CN=cachescope-test-ca",
            ])
            try await Shell.run([
                "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", certificates.serverKey, "-out",
                folder + "/server.csr", "-subj", "/CN=127.0.0.1",
            ])
            try await Shell.run([
                "openssl", "x509", "-req", "-in", folder + "/server.csr", "-CA", certificates.ca, "-CAkey", folder + "/ca.key",
                "-CAcreateserial", "-out", certificates.serverCertificate, "-days", "1", "-extfile", folder + "/san.cnf",
            ])
            return certificates
        }
    }

    /// A redis-server that listens only with TLS, on a free port.
    func withTLSRedis(_ body: (Int, Certificates) async throws -> Void) async throws {
        let certificates = try await Certificates.make()
        let port = Binary.freePort()
        let server = try ChildProcess(
            path: try #require(EmbeddedRedis.locateServer()),
            arguments: [
                "--port", "0", "--tls-port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--tls-cert-file", certificates.serverCertificate, "--tls-key-file", certificates.serverKey,
                "--tls-ca-cert-file", certificates.ca, "--tls-auth-clients", "no",
            ],
            outputPath: certificates.folder + "/redis.log")
        let insecure = RedisEndpoint(
            address: .tcp(host: "127.0.0.1", port: port), tls: RedisTLS(verify: false))
        let probe = RedisPipeline(endpoint: insecure, name: "probe", options: .background)
        let up = await waitUntil(timeout: .seconds(10), every: .milliseconds(100)) {
            (try? await probe.send(RedisCommand("PING"))) == .status("PONG")
        }
        probe.stop()
        try await using(server, stop: { await $0.terminate() }) { _ in
            try #require(up, "the TLS redis-server answers")
            try await body(port, certificates)
        }
    }

    @Test func rediss_withTheCA_servesEndToEnd_andWithoutIt_exitsTwoNamingRedisCA() async throws {
        try await withTLSRedis { port, certificates in
            let url = "rediss://127.0.0.1:\(port)/0"
            let port = Binary.freePort()
            let server = try ChildProcess(
                path: Binary.path,
                arguments: [
                    "serve", "--port", String(port), "--db", TestServer.temporaryDatabase(), "--redis", url, "--redis-ca",
                    certificates.ca, "--origin-delay", "0",
                ],
                outputPath: certificates.folder + "/serve.log")
            defer { Task { await server.terminate() } }
            #expect(await Binary.waitUntilServing("http://127.0.0.1:\(port)/health"))
            let client = HTTPClient()
            _ = try await client.get("http://127.0.0.1:\(port)/products/1")
            let second = try await client.get("http://127.0.0.1:\(port)/products/1")
            #expect(second.header("X-Cache") == "HIT", "cached in the TLS Redis")
            #expect(try await client.get("http://127.0.0.1:\(port)/health").json["redis"] as? String == "up")

            let (code, output) = try await Self.run([
                "serve", "--port", "0", "--db", TestServer.temporaryDatabase(), "--redis", url, "--log-level", "critical",
            ])
            #expect(code == 2)
            #expect(output.contains("--redis-ca"), "\(output)")
            #expect(output.split(separator: "\n").count == 1, "\(output)")
        }
    }

    @Test func anACLUserLogsIn_andAWrongPasswordExitsTwoNamingRedis() async throws {
        try await withRedis { redis in
            guard case .tcp(_, let redisPort) = redis.endpoint.address else { return }
            let admin = RedisPipeline(endpoint: redis.endpoint, name: "admin", options: .background)
            defer { admin.stop() }
            try await admin.call("ACL", "SETUSER", "shop", "on", ">s3cret-pass", "~*", "&*", "+@all")
            try await admin.call("ACL", "SETUSER", "default", "off")

            let port = Binary.freePort()
            let log = Scratch.path("acl-\(UUID().uuidString).log")
            let server = try ChildProcess(
                path: Binary.path,
                arguments: [
                    "serve", "--port", String(port), "--db", TestServer.temporaryDatabase(), "--redis",
                    "redis://shop:s3cret-pass@127.0.0.1:\(redisPort)/0", "--origin-delay", "0",
                ],
                outputPath: log)
            #expect(await Binary.waitUntilServing("http://127.0.0.1:\(port)/health"))
            let client = HTTPClient()
            _ = try await client.get("http://127.0.0.1:\(port)/categories")
            // The default user is off: only the ACL user can have stored it.
            #expect(try await client.get("http://127.0.0.1:\(port)/categories").header("X-Cache") == "HIT")

            // The password changes under a running server: it serves BYPASS and says why.
            try await admin.call("ACL", "SETUSER", "shop", "resetpass", ">rotated-pass")
            try await admin.call("CLIENT", "KILL", "USER", "shop")
            let bypassing = await waitUntil(timeout: .seconds(5), every: .milliseconds(100)) {
                (try? await client.get("http://127.0.0.1:\(port)/categories"))?.header("X-Cache") == "BYPASS"
            }
            #expect(bypassing)
            let health = try await client.get("http://127.0.0.1:\(port)/health").json
            #expect(health["redis"] as? String == "down")
            #expect((health["redis_error"] as? String)?.contains("WRONGPASS") == true, "\(health)")
            await server.terminate()
            let logged = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(logged.contains("redis://shop@127.0.0.1"), "the log names the user")
            #expect(!logged.contains("s3cret-pass"), "and never the password")
            #expect(logged.contains("WRONGPASS"), "the log says why Redis is bypassed")

            let (code, output) = try await Self.run([
                "serve", "--port", "0", "--db", TestServer.temporaryDatabase(), "--redis",
                "redis://shop:wrong-pass@127.0.0.1:\(redisPort)/0", "--log-level", "critical",
            ])
            #expect(code == 2)
            #expect(output.contains("--redis"), "\(output)")
            #expect(!output.contains("wrong-pass"), "\(output)")
            #expect(output.split(separator: "\n").count == 1, "\(output)")
        }
    }

    static func run(_ arguments: [String]) async throws -> (Int32?, String) {
        let log = Scratch.path("run-\(UUID().uuidString).log")
        let child = try ChildProcess(path: Binary.path, arguments: arguments, outputPath: log)
        let code = await child.wait(timeout: .seconds(15))
        if code == nil { await child.terminate() }
        return (code, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }
}
