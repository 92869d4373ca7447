import ArgumentParser
import CacheCore
import CacheScopeKit
import Foundation
import LoadGenerator

/// `cachescope load`: traffic to watch, with a live one-line summary and a final report.
struct Load: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send a realistic request mix (Zipf-popular listings and products, a few writes) to a server.")

    @Option(help: "Base URL of a server (repeatable: the requests are spread over them in turn).")
    var url: [String] = ["http://127.0.0.1:8000"]

    @Option(help: "Requests per second to aim for.")
    var rps = 200.0

    @Option(help: "How long to run: 60s, 5m, 0 for until Ctrl-C.")
    var duration = "60s"

    @Option(help: "Requests in flight at most.")
    var concurrency = 16

    @Option(name: .customLong("write-ratio"), help: "Share of requests that are writes (POST/DELETE), 0-1.")
    var writeRatio = 0.01

    func validate() throws {
        for url in url where !(url.hasPrefix("http://") || url.hasPrefix("https://")) || URL(string: url) == nil {
            throw ValidationError("--url must be an http:// URL, not '\(url)'")
        }
        guard rps > 0, rps <= 100_000 else { throw ValidationError("--rps must be more than 0 and at most 100000, not \(rps)") }
        guard DurationText.parse(duration) != nil else {
            throw ValidationError("--duration must be like 60s, 5m or 0, not '\(duration)'")
        }
        guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency must be 1-1024, not \(concurrency)") }
        guard (0...1).contains(writeRatio) else {
            throw ValidationError("--write-ratio must be between 0 and 1, not \(writeRatio)")
        }
    }

    func run() async throws {
        // Ctrl-C (the way to end `--duration 0`) still prints the total.
        let signals = StopSignals()
        for url in url {
            do {
                _ = try await HTTPClient(timeout: 2).get(url + "/health")
            } catch {
                throw UsageError(message: "--url: nothing answers at \(url) (\(error.localizedDescription))")
            }
        }
        let limit = DurationText.parse(duration).flatMap { $0 == .zero ? nil : $0 }
        let runner = LoadRunner(baseURLs: url, rps: rps, concurrency: concurrency, writeRatio: writeRatio)
        let stats = LoadStats()
        let started = ContinuousClock.now
        var total = LoadStats.Snapshot()
        let load = Task { await runner.run(for: limit, stats: stats) }
        signals.onStop { load.cancel() }
        let live = isatty(STDERR_FILENO) == 1
        while !load.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            var window = stats.takeWindow()
            window.elapsed = .seconds(1)
            total.merge(window)
            // The throwing write: the other one traps on EIO, which a closed terminal gives.
            try? FileHandle.standardError.write(
                contentsOf: Data(((live ? "\r\u{1B}[2K" : "") + window.summary + (live ? "" : "\n")).utf8))
            if let limit, ContinuousClock.now - started >= limit { break }
        }
        // After Ctrl-C, answer at once: requests still in flight are dropped, not waited for.
        if !signals.requested { await load.value }
        total.merge(stats.takeWindow())
        total.elapsed = ContinuousClock.now - started
        print(
            (live ? "\n" : "") + "total: \(total.requests) requests in \(DurationText.format(total.elapsed)) | " + total.summary)
        withExtendedLifetime(signals) {}
    }
}
