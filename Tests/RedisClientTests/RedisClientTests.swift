import Foundation
import Testing
@testable import RedisClient
import TestSupport

@Suite struct RedisClientTests {
    @Test func parsesURLs() throws {
        let full = try RedisEndpoint(url: "redis://:secret@10.1.2.3:6380/2")
        #expect(full.address == .tcp(host: "10.1.2.3", port: 6380))
        #expect(full.password == "secret")
        #expect(full.database == 2)
        #expect(try RedisEndpoint(url: "redis://localhost").address == .tcp(host: "127.0.0.1", port: 6379))
        #expect(try RedisEndpoint(url: "unix:///tmp/r.sock").address == .unix(path: "/tmp/r.sock"))
        #expect(throws: RedisError.self) { try RedisEndpoint(url: "http://x") }
        #expect(throws: RedisError.self) { try RedisEndpoint(url: "redis://h:99999/0") }
        #expect(throws: RedisError.self) { try RedisEndpoint(url: "redis://h:6379/x") }
    }

    @Test func pipelinesAndConvertsReplies() async throws {
        try await withRedis { redis in
            let connection = try RedisConnection(endpoint: redis.endpoint, connectTimeout: .seconds(1), ioTimeout: .seconds(1))
            let body: [UInt8] = Array("{\"a\":1}\0binary".utf8)
            let replies = try connection.pipeline([
                RedisCommand(arguments: [Array("SET".utf8), Array("k".utf8), body]),
                RedisCommand("GET", "k"),
                RedisCommand("GET", "missing"),
                RedisCommand("INCRBY", "n", "5"),
                RedisCommand("RPUSH", "l", "a", "b"),
                RedisCommand("LRANGE", "l", "0", "-1"),
                RedisCommand("NOSUCHCOMMAND"),
            ])
            #expect(replies[0] == .status("OK"))
            #expect(replies[1] == .bulk(body))
            #expect(replies[2] == .null)
            #expect(replies[3] == .integer(5))
            #expect(replies[5] == .array([.bulk(Array("a".utf8)), .bulk(Array("b".utf8))]))
            #expect(replies[6].isError)
        }
    }

    @Test func workerBatchesConcurrentRequests() async throws {
        try await withRedis { redis in
            let worker = RedisWorker(endpoint: redis.endpoint, name: "test", options: .requestPath)
            defer { worker.stop() }
            let total = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<500 { group.addTask { try await worker.send(RedisCommand("INCR", "counter")).int ?? 0 } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(Set(total).count == 500)  // every INCR answered its own caller
            #expect(try await worker.call("GET", "counter").int == 500)
            #expect(worker.isUp)
        }
    }

    @Test func workerFailsFastWhileDownAndReconnects() async throws {
        try await withRedis { redis in
            let worker = RedisWorker(endpoint: redis.endpoint, name: "test", options: .requestPath)
            defer { worker.stop() }
            try await worker.call("SET", "k", "v")
            await redis.stop()
            let clock = ContinuousClock()
            for _ in 0..<3 {
                let elapsed = await clock.measure {
                    await #expect(throws: (any Error).self) { try await worker.call("GET", "k") }
                }
                #expect(elapsed < .milliseconds(400))  // fails at once, never waits for a reconnect (generous for a loaded CI machine)
            }
            #expect(!worker.isUp)
            try await redis.start()
            let recovered = clock.now
            var answered = false
            while clock.now - recovered < .seconds(2) {
                if (try? await worker.call("PING")) != nil { answered = true; break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(answered)
            #expect(worker.isUp)
        }
    }

    @Test func stalledRedisTimesOutQuickly() async throws {
        try await withRedis { redis in
            let worker = RedisWorker(endpoint: redis.endpoint, name: "test", options: .requestPath)
            defer { worker.stop() }
            try await worker.call("PING")
            let pid = try #require(redis.processIdentifier)
            kill(pid, SIGSTOP)
            defer { kill(pid, SIGCONT) }
            let elapsed = await ContinuousClock().measure {
                await #expect(throws: (any Error).self) { try await worker.call("GET", "k") }
            }
            #expect(elapsed < .milliseconds(400))  // the 50 ms read timeout, plus scheduling slack on a loaded machine
        }
    }
}

@Suite struct KeyDeletionTests {
    @Test func invalidationsBumpTheGenerationTheyCover() {
        #expect(KeyDeletion.generationField(for: "shop:/products:*") == "shop:/products")
        #expect(KeyDeletion.generationField(for: "shop:/products/3:*") == "shop:/products/3")
        #expect(KeyDeletion.generationField(for: "shop:/categories:e3b0c442") == "shop:/categories")
        #expect(KeyDeletion.generationField(for: "shop:*") == "*")  // spans every group of the prefix
        #expect(KeyDeletion.generationField(for: "app:shop:*") == "*")
        #expect(KeyDeletion.generationField(for: "shop:/products:a*") == "*")
        #expect(KeyDeletion.generationField(for: "shop:/products/[12]:*") == "*")
    }
}
