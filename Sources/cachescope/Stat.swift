import ArgumentParser
import CacheCore
import CacheProtocol
import Dashboard
import DashboardRuntime
import Foundation
import Logging
import ProductAPI
import RedisClient

/// `cachescope stat`: the dashboard's numbers for scripts and monitors, as a table or versioned
/// JSON, once or every interval, with assertions that set the exit status (0 hold, 1 fail, 2 the
/// command could not run).
struct Stat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the fleet's cache numbers (hit rates, counters, misses by cause) for scripts.")

    @OptionGroup var redisFlags: RedisFlags

    @Option(help: "Cache key prefix the servers use (repeatable).")
    var prefix: [String] = [Catalog.prefix]

    @Flag(help: "One JSON object per sample (schema: docs/schema.md).")
    var json = false

    @Flag(help: "One sample, with its 10 s and 60 s rates taken over --window (the default).")
    var once = false

    @Option(help: "With --count: the time between samples, e.g. 5s.")
    var interval: String?

    @Option(help: "With --interval: how many samples to print.")
    var count: Int?

    @Option(help: "With --once: how long to watch for the 10 s and 60 s rates, e.g. 2s.")
    var window = "2s"

    @Option(
        name: .customLong("assert"),
        help: "PATH OP NUMBER on the last sample, e.g. 'routes./products.hit_rate >= 0.9' (repeatable); exit 1 if any fails.")
    var assertions: [String] = []

    func validate() throws {
        guard DurationText.parse(window).map({ $0 > .zero }) ?? false else {
            throw ValidationError("--window must be a duration above 0 like 2s, not '\(window)'")
        }
        if interval != nil || count != nil {
            guard !once else { throw ValidationError("--once takes no --interval or --count: give one or the other") }
            guard let interval, DurationText.parse(interval).map({ $0 > .zero }) ?? false else {
                throw ValidationError("--interval must be a duration above 0 like 5s (with --count), not '\(interval ?? "")'")
            }
            guard let count, count > 0 else { throw ValidationError("--count must be 1 or more (with --interval)") }
        }
        for text in assertions {
            do throws(StatAssertionError) {
                _ = try StatAssertion(parsing: text)
            } catch {
                throw ValidationError("--assert: \(error.message)")
            }
        }
        guard !prefix.isEmpty, prefix.allSatisfy({ !$0.isEmpty }) else { throw ValidationError("--prefix must not be empty") }
    }

    func run() async throws {
        let endpoint = try await redisFlags.shared().verified(logger: Logger(label: "cachescope"))
        let pipeline = RedisPipeline(endpoint: endpoint, name: "stat", options: .background)
        defer { pipeline.stop() }
        let poller = RedisPoller(redis: pipeline, eventsKey: KeySchema().events, prefixes: prefix)
        func sample() async throws -> PollResult {
            do {
                return try await poller.poll(visibleKeys: [], nowMs: Int64(Date().timeIntervalSince1970 * 1000))
            } catch {
                throw UsageError(message: "--redis: \(endpoint) did not answer (\(error)); start Redis or point --redis at it")
            }
        }
        var report = StatReport()
        let checks = assertions.compactMap { try? StatAssertion(parsing: $0) }
        let samples = count ?? 1
        let gap = interval.flatMap(DurationText.parse) ?? (DurationText.parse(window) ?? .seconds(2))
        if count == nil { report.record(try await sample()) }  // --once: the rates span the window
        for index in 0..<samples {
            if count == nil || index > 0 { try await Task.sleep(for: gap) }
            report.record(try await sample())
            print(json ? Self.line(report.json) : report.text)
        }
        let failures = checks.map { $0.check(report.json) }.filter { !$0.holds }
        for failure in failures { FileHandle.standardError.write(Data("cachescope: assertion failed: \(failure.detail)\n".utf8)) }
        if !failures.isEmpty { throw ExitCode(1) }
    }

    private static func line(_ object: [String: Any]) -> String {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
