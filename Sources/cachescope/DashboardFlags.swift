import ArgumentParser
import DashboardRuntime
import Foundation
import RedisClient

/// The flags every dashboard command takes (`run`, `watch`).
struct DashboardFlags: ParsableArguments {
    @Flag(
        name: .customLong("readonly"),
        help: "The dashboard changes nothing: invalidate, warm, load and the origin switch only say read-only.")
    var readOnly = false

    @Option(help: "Record the dashboard session to FILE (NDJSON), for cachescope replay.")
    var record: String?

    @Flag(
        name: .customLong("no-mouse"), help: "Leave the mouse to the terminal (by default a click selects and the wheel scrolls)."
    )
    var noMouse = false

    /// Opens `--record FILE` (created or truncated), or names the flag if it cannot: before anything
    /// starts, so a bad path is a usage error and nothing else.
    func openRecording() throws -> FileHandle? {
        guard let record else { return nil }
        guard FileManager.default.createFile(atPath: record, contents: nil), let handle = FileHandle(forWritingAtPath: record)
        else {
            throw UsageError(message: "--record: cannot write '\(record)'; give a path in a folder you can write to")
        }
        return handle
    }

    /// Sets them on `options`, with the recording `openRecording` opened.
    func apply(to options: inout DashboardOptions, recording: FileHandle?) {
        options.readOnly = readOnly
        options.mouse = !noMouse
        options.recording = recording
    }
}
