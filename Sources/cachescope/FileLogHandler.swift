import Foundation
import Logging
import Synchronization

/// Log lines appended to a file: in dashboard mode anything written to the terminal would
/// corrupt the screen.
struct FileLogHandler: LogHandler {
    private final class Sink: Sendable {
        let handle: Mutex<FileHandle>
        init(_ handle: FileHandle) { self.handle = Mutex(handle) }
    }

    private let sink: Sink
    private let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    static func bootstrap(path: String, level: Logger.Level) throws {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw UsageError(message: "--log-file: cannot create '\(path)'")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw UsageError(message: "--log-file: cannot write '\(path)'")
        }
        handle.seekToEndOfFile()
        let sink = Sink(handle)
        LoggingSystem.bootstrap { label in
            var handler = FileLogHandler(sink: sink, label: label)
            handler.logLevel = level
            return handler
        }
    }

    private init(sink: Sink, label: String) {
        self.sink = sink
        self.label = label
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let line =
            "\(ISO8601DateFormatter().string(from: Date())) \(event.level) [\(label)] \(event.message)\(fields.isEmpty ? "" : " " + fields)\n"
        sink.handle.withLock { $0.write(Data(line.utf8)) }
    }
}
