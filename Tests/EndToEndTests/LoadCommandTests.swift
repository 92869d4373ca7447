import Foundation
import RedisClient
import TestSupport
import Testing

@Suite struct LoadCommandTests {
    /// `load --duration 0` runs until Ctrl-C, and Ctrl-C still prints the total, with the requests
    /// it cut short not counted as errors.
    @Test func ctrlCEndsAnOpenEndedRunWithItsTotal() async throws {
        try await withServer { server, _ in
            let log = Scratch.path("load-\(UUID().uuidString).log")
            let child = try ChildProcess(
                path: Binary.path, arguments: ["load", "--url", server.baseURL, "--duration", "0"],
                outputPath: log)
            // Running, and answered: a one-second line counts at least one request. On a loaded
            // machine the first seconds can pass with every request still in flight.
            await waitUntil(timeout: .seconds(30), every: .milliseconds(50)) {
                let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                return output.split(separator: "\n").contains {
                    $0.hasPrefix("rps ") && !$0.hasPrefix("rps 0.0 ")
                }
            }
            child.signal(SIGINT)
            let code = await child.wait(timeout: .seconds(10))
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(code == 0, "\(output)")
            let total = output.split(separator: "\n").first { $0.hasPrefix("total: ") } ?? ""
            #expect(total.hasSuffix("errors 0"), "\(output)")
            #expect(Int(total.dropFirst("total: ".count).prefix { $0.isNumber }) ?? 0 > 0, "\(output)")
            if code == nil { await child.terminate() }
        }
    }
}
