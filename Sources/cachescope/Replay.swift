import ArgumentParser
import Dashboard
import DashboardRuntime
import Foundation

/// `cachescope replay FILE`: a recorded dashboard session (`watch --record`, `run --record`) shown
/// again, with no Redis.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a recorded dashboard session (watch --record FILE) with no Redis.")

    @Argument(help: "The recording (NDJSON) to replay.")
    var file: String

    @Option(help: "How many times faster than it was recorded, e.g. 4 or 0.5.")
    var speed = 1.0

    func validate() throws {
        guard speed >= ReplayControl.speeds.min, speed <= ReplayControl.speeds.max else {
            throw ValidationError("--speed must be between 1/64 and 64, not \(speed)")
        }
    }

    func run() throws {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw UsageError(message: "FILE: cannot read '\(file)'; give a recording made with watch --record")
        }
        let contents: Recording.Contents
        do throws(Recording.Unreadable) {
            contents = try Recording.read(text)
        } catch {
            throw UsageError(message: "FILE: '\(file)' is \(error)")
        }
        if let problem = DashboardSession.terminalProblem() {
            throw UsageError(message: "\(problem). A replay needs an interactive terminal.")
        }
        ReplaySession(contents: contents, speed: speed, source: URL(fileURLWithPath: file).lastPathComponent).run()
    }
}
