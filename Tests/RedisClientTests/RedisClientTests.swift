import Foundation
import NIOPosix
import Synchronization
import TestSupport
import Testing

@testable import RedisClient

@Suite struct RedisClientTests {
    /// An event loop of its own for the timing tests: in this process every other test's HTTP
    /// servers share the default loops, and their cold start would be measured along with the timeout.
    static let quietLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1).next()

    @Test func parsesURLs() throws {
        let full = try RedisEndpoint(url: "redis://:secret@10.1.2.3:6380/2")
        #expect(full.address == .tcp(host: "10.1.2.3", port: 6380))
        #expect(full.password == "secret")
        #expect(full.database == 2)
        #expect(try RedisEndpoint(url: "redis://localhost").address == .tcp(host: "127.0.0.1", port: 6379))
        #expect(try RedisEndpoint(url: "unix:///tmp/r.sock").address == .unix(path: "/tmp/r.sock"))
        let acl = try RedisEndpoint(url: "redis://shop:pa:ss@10.0.0.1:6379/1")
        #expect(acl.username == "shop")
        #expect(acl.password == "pa:ss")
        #expect("\(acl)" == "redis://shop@10.0.0.1:6379/1", "no password in the description")
        let tls = try RedisEndpoint(url: "rediss://cache.example.com:6380")
        #expect(tls.tls == RedisTLS())
        #expect(tls.address == .tcp(host: "cache.example.com", port: 6380))
        let sentinel = try RedisEndpoint(url: "sentinel://:pw@10.0.0.1:26380,10.0.0.2/cachescope/3")
        #expect(
            sentinel.address
                == .sentinel(
                    SentinelGroup(
                        sentinels: [.init(host: "10.0.0.1", port: 26380), .init(host: "10.0.0.2", port: 26379)],
                        master: "cachescope")))
        #expect(sentinel.database == 3)
        #expect(sentinel.password == "pw")
        #expect(throws: RedisError.self) { try RedisEndpoint(url: "sentinel://10.0.0.1:26379") }
        #expect(throws: RedisError.self) { try RedisEndpoint(url: "http://x") }
        #expect(throws: RedisError.self) { try RedisEndpoint(url: "redis://h:99999/0") }
        #expect(throws: RedisError.self) { try RedisEndpoint(url: "redis://h:6379/x") }
    }

    @Test func pipelinesAndConvertsReplies() async throws {
        try await withRedis { redis in
            let pipeline = RedisPipeline(endpoint: redis.endpoint, name: "test", options: .background)
            defer { pipeline.stop() }
            let body: [UInt8] = Array("{\"a\":1}\0binary".utf8)
            let replies = try await pipeline.send([
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

    @Test func pipelineAnswersConcurrentCallersInOrder() async throws {
        try await withRedis { redis in
            // Ordering, not timing, is under test.
            let pipeline = RedisPipeline(endpoint: redis.endpoint, name: "test", options: .background)
            defer { pipeline.stop() }
            let total = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<500 { group.addTask { try await pipeline.send(RedisCommand("INCR", "counter")).int ?? 0 } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(Set(total).count == 500)  // every INCR answered its own caller
            #expect(try await pipeline.call("GET", "counter").int == 500)
            #expect(pipeline.isUp)
        }
    }

    /// On a subscribed connection, messages keep arriving while a later SUBSCRIBE waits for its
    /// reply: every message must reach the push handler, and every reply its command.
    @Test func messagesBetweenRepliesGoToThePushHandler() async throws {
        try await withRedis { redis in
            let subscriber = RedisPipeline(endpoint: redis.endpoint, name: "subscriber", options: .background)
            let publisher = RedisPipeline(endpoint: redis.endpoint, name: "publisher", options: .background)
            let received = Mutex(0)
            subscriber.onPush { message in
                if message.elements.first?.string == "message" { received.withLock { $0 += 1 } }
            }
            #expect(try await subscriber.send(RedisCommand("SUBSCRIBE", "busy")).elements.first?.string == "subscribe")
            let published = Task {
                var delivered = 0
                for _ in 0..<2000 { delivered += (try? await publisher.send(RedisCommand("PUBLISH", "busy", "x")).int) ?? 0 }
                return delivered
            }
            for index in 0..<200 {
                let channels = (0..<5).map { "quiet-\(index)-\($0)" }
                let replies = try await subscriber.send(channels.map { RedisCommand("SUBSCRIBE", $0) })
                #expect(replies.map { $0.elements.prefix(2).map { $0.string ?? "" } } == channels.map { ["subscribe", $0] })
            }
            let delivered = await published.value
            await waitUntil { received.withLock { $0 } >= delivered }
            #expect(received.withLock { $0 } == delivered)
            subscriber.stop()
            publisher.stop()
        }
    }

    @Test func encodesCommandsAsRESP() {
        let bytes = RedisCommand.encode([
            RedisCommand("GET", "k"), RedisCommand(arguments: [Array("SET".utf8), [], [0, 13, 10]]),
        ])
        #expect(bytes == Array("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*3\r\n$3\r\nSET\r\n$0\r\n\r\n$3\r\n\0\r\n\r\n".utf8))
    }

    @Test func pipelineSelectsTheDatabaseAndCarriesLargeValues() async throws {
        try await withRedis { redis in
            var endpoint = redis.endpoint
            endpoint.database = 3
            let pipeline = RedisPipeline(endpoint: endpoint, name: "test", options: .background)
            defer { pipeline.stop() }
            let large = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }  // arrives in many reads
            let replies = try await pipeline.send([
                RedisCommand(arguments: [Array("SET".utf8), Array("big".utf8), large]),
                RedisCommand("GET", "big"),
            ])
            #expect(replies == [.status("OK"), .bulk(large)])
            let direct = RedisPipeline(endpoint: redis.endpoint, name: "direct", options: .background)  // database 0
            defer { direct.stop() }
            #expect(
                try await direct.send([RedisCommand("EXISTS", "big"), RedisCommand("SELECT", "3"), RedisCommand("STRLEN", "big")])
                    == [.integer(0), .status("OK"), .integer(1 << 20)])
        }
    }

    /// Redis answering, but each reply 50 ms after the last: callers queued behind must not wait
    /// for the whole queue. The oldest command's age decides, not the time since the last byte.
    @Test func aSlowButAnsweringRedisStillTimesOutTheRequestPath() async throws {
        try await withRedis { redis in
            let pipeline = RedisPipeline(endpoint: redis.endpoint, name: "test", options: .requestPath, on: Self.quietLoop)
            defer { pipeline.stop() }
            try await pipeline.call("PING")
            let busy =
                "local s = redis.call('TIME') repeat local n = redis.call('TIME') until (n[1] - s[1]) * 1000000 + (n[2] - s[2]) > 50000 return 1"
            let clock = ContinuousClock()
            let start = clock.now
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<40 { group.addTask { (try? await pipeline.send(RedisCommand("EVAL", busy, "0"))) != nil } }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.contains(false))  // 40 × 50 ms of work cannot all answer within 50 ms
            // Cut off, not waited out (2 s), with slack for a machine loaded by the parallel suite.
            #expect(clock.now - start < .milliseconds(1500))
        }
    }

    @Test func anIdleConnectionClosedByRedisReconnectsWithoutWaiting() async throws {
        try await withRedis { redis in
            // Reconnecting is under test, not the 50 ms budget (a loaded machine can miss that).
            let pipeline = RedisPipeline(endpoint: redis.endpoint, name: "test", options: .background)
            defer { pipeline.stop() }
            try await pipeline.call("CONFIG", "SET", "timeout", "1")  // Redis closes clients idle for over 1 s
            await waitUntil { !pipeline.isUp }
            #expect(!pipeline.isUp)
            #expect(try await pipeline.call("PING") == .status("PONG"))  // no back-off: nothing was wrong
        }
    }

    @Test func pipelineFailsFastWhileDownAndReconnects() async throws {
        try await withRedis { redis in
            let pipeline = RedisPipeline(endpoint: redis.endpoint, name: "test", options: .requestPath)
            defer { pipeline.stop() }
            try await pipeline.call("SET", "k", "v")
            await redis.stop()
            let clock = ContinuousClock()
            for _ in 0..<3 {
                let elapsed = await clock.measure {
                    await #expect(throws: (any Error).self) { try await pipeline.call("GET", "k") }
                }
                // Fails at once, never hangs on a Redis that is gone (generous for the loaded parallel
                // suite: 413 ms seen against a 400 ms bound, 1.008 s against 1 s).
                #expect(elapsed < .seconds(3))
            }
            #expect(!pipeline.isUp)
            try await redis.start()
            let recovered = clock.now
            var answered = false
            while clock.now - recovered < .seconds(2) {
                if (try? await pipeline.call("PING")) != nil {
                    answered = true
                    break
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(answered)
            #expect(pipeline.isUp)
        }
    }

    @Test func stalledRedisTimesOutQuickly() async throws {
        try await withRedis { redis in
            let pipeline = RedisPipeline(endpoint: redis.endpoint, name: "test", options: .requestPath, on: Self.quietLoop)
            defer { pipeline.stop() }
            try await pipeline.call("PING")
            let pid = try #require(redis.processIdentifier)
            kill(pid, SIGSTOP)
            defer { kill(pid, SIGCONT) }
            let elapsed = await ContinuousClock().measure {
                await #expect(throws: (any Error).self) { try await pipeline.call("GET", "k") }
            }
            // The 50 ms read timeout plus scheduling slack on a machine loaded by the parallel suite
            // (844 ms seen once): a stalled Redis fails the call; it never hangs it.
            #expect(elapsed < .seconds(2))
        }
    }
}
