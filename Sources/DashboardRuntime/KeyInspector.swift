import CacheCore
import CacheProtocol
import Dashboard
import Foundation
import RedisClient

/// Reads one key for the detail pane: its counters and history hash, its TTL and its value, in
/// one pipeline. Only on `Enter`, for one key: it costs nothing while the pane is closed.
struct KeyInspector {
    let schema: KeySchema
    /// Body lines kept for the pane; the rest is not shown.
    static let bodyLines = 12

    func commands(for key: String) -> [RedisCommand] {
        [RedisCommand("HGETALL", schema.key(key)), RedisCommand("PTTL", key), RedisCommand("GET", key)]
    }

    /// nil when the replies are not the three asked for.
    func inspection(of key: String, from replies: [RedisReply]) -> KeyInspection? {
        guard replies.count == 3 else { return nil }
        let fields = replies[0].fieldPairs
        let ttl = replies[1].int ?? -2
        var inspection = KeyInspection(
            key: key, request: fields["request"], ttlMs: ttl == -2 ? nil : ttl,
            counts: CounterUpdates.counts(from: replies[0]), lastEvent: fields[KeyHistory.lastField],
            reason: fields[KeyHistory.reasonField], loadUs: fields[KeyHistory.loadTimeField].flatMap { Int($0) },
            tags: (fields[KeyHistory.tagsField] ?? "").split(separator: " ").map(String.init))
        if case .bulk(let stored) = replies[2] {
            let entry = CacheEntry.decode(stored)
            inspection.sizeBytes = stored.count
            if entry.status == 200 { inspection.entityTag = EntityTag(of: entry.body).description }
            inspection.bodyLines = Self.preview(entry.body, status: entry.status)
        }
        return inspection
    }

    /// The first lines of a body: pretty-printed JSON, else the text as it is.
    static func preview(_ body: [UInt8], status: Int) -> [String] {
        let heading = status == 200 ? [] : ["(a cached \(status))"]
        let text: String
        if let object = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]),
            let pretty = try? JSONSerialization.data(
                withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        {
            text = String(decoding: pretty, as: UTF8.self)
        } else {
            text = String(decoding: body.prefix(4096), as: UTF8.self)
        }
        return heading + text.split(separator: "\n", omittingEmptySubsequences: false).prefix(bodyLines).map(String.init)
    }
}
