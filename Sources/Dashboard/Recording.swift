import Foundation

/// A dashboard session as NDJSON (`watch --record FILE`, `run --record FILE`): a versioned header
/// line, then one line per poll result or Redis outage, with its time. `cachescope replay` feeds
/// the lines back through `update`, so a replay shows what the live dashboard showed.
public enum Recording {
    public static let version = 1

    public struct Header: Codable, Equatable, Sendable {
        public var cachescopeRecording: Int
        public var mode: String
        public var prefixes: [String]
        public var redis: String
        public var startedMs: Int64

        public init(mode: String, prefixes: [String], redis: String, startedMs: Int64) {
            cachescopeRecording = Recording.version
            self.mode = mode
            self.prefixes = prefixes
            self.redis = redis
            self.startedMs = startedMs
        }

        enum CodingKeys: String, CodingKey {
            case cachescopeRecording = "cachescope_recording"
            case mode, prefixes, redis
            case startedMs = "started_ms"
        }
    }

    /// One recorded input: a poll's result, or the reason a poll failed.
    public struct Entry: Codable, Sendable {
        public var t: Int64
        public var poll: PollResult?
        public var redisDown: String?

        enum CodingKeys: String, CodingKey {
            case t, poll
            case redisDown = "redis_down"
        }

        public var input: DashboardInput? {
            if let poll { return .poll(poll) }
            if let redisDown { return .redisDown(reason: redisDown) }
            return nil
        }
    }

    /// The line for an input worth recording (polls and outages; keys and ticks are the viewer's), or nil.
    public static func line(for input: DashboardInput, atMs time: Int64) -> String? {
        let entry: Entry
        switch input {
        case .poll(let poll): entry = Entry(t: time, poll: poll)
        case .redisDown(let reason): entry = Entry(t: time, redisDown: reason)
        default: return nil
        }
        return encode(entry)
    }

    public static func line(for header: Header) -> String { encode(header) ?? "{}" }

    /// A recording read back: its header, its entries in order, and where it stopped if a line
    /// was damaged (a cut-off last line, a corrupt one): everything before it is kept.
    public struct Contents: Sendable {
        public let header: Header
        public let entries: [Entry]
        public let damage: String?
    }

    public struct Unreadable: Error, CustomStringConvertible {
        public let description: String
    }

    public static func read(_ text: String) throws(Unreadable) -> Contents {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, let header = try? decoder.decode(Header.self, from: Data(first.utf8)) else {
            throw Unreadable(description: "not a CacheScope recording: the first line is no recording header")
        }
        guard header.cachescopeRecording == version else {
            throw Unreadable(
                description: "recording version \(header.cachescopeRecording); this cachescope reads version \(version)")
        }
        var entries: [Entry] = []
        for (index, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            do {
                entries.append(try decoder.decode(Entry.self, from: Data(line.utf8)))
            } catch {
                return Contents(
                    header: header, entries: entries, damage: "line \(index + 1) is damaged, the replay stops before it")
            }
        }
        return Contents(header: header, entries: entries, damage: nil)
    }

    private static let decoder = JSONDecoder()

    private static func encode(_ value: some Encodable) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }
}
