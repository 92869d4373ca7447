import CacheCore
import Foundation
import RedisClient

/// How servers announce themselves (`ServerPresence`) and how dashboards read them: a hash per
/// server that expires unless renewed, and a sorted set of ids by last renewal.
public struct Announcements: Sendable {
    /// The schema version written in every announcement (`docs/schema.md`).
    public static let version = "3"
    /// Renewals come every second; a hash not renewed for this long expires, and its server is gone.
    public static let lifetimeMs = 5_000

    public let schema: KeySchema

    public init(schema: KeySchema) { self.schema = schema }

    /// Writes or renews `presence`, and forgets ids not renewed for a minute.
    public func announce(_ presence: ServerPresence, nowMs: Int64) -> [RedisCommand] {
        let key = schema.server(presence.id)
        return [
            RedisCommand(["HSET", key] + Self.hashFields(presence).flatMap { [$0.0, $0.1] }),
            RedisCommand("PEXPIRE", key, String(Self.lifetimeMs)),
            RedisCommand("ZADD", schema.servers, String(nowMs), presence.id),
            RedisCommand("ZREMRANGEBYSCORE", schema.servers, "-inf", "(" + String(nowMs - 60_000)),
        ]
    }

    /// Removes the announcement at once (at shutdown).
    public func withdraw(_ id: String) -> [RedisCommand] {
        [RedisCommand("DEL", schema.server(id)), RedisCommand("ZREM", schema.servers, id)]
    }

    /// The hash fields, as `HSET` takes them.
    static func hashFields(_ presence: ServerPresence) -> [(String, String)] {
        let routes = (try? JSONEncoder().encode(presence.routes)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        return [
            ("schema", version), ("url", presence.url), ("near_cache_ms", String(presence.nearCacheMs)),
            ("near_cache_active", presence.nearCacheActive ? "1" : "0"), ("started_ms", String(presence.startedMs)),
            ("admin", presence.admin.rawValue), ("routes", routes),
        ]
    }

    /// Reads an `HGETALL` of `schema.server(id)`; nil for a missing (expired) or malformed hash.
    public static func presence(id: String, from reply: RedisReply) -> ServerPresence? {
        presence(id: id, hashFields: reply.fieldPairs)
    }

    static func presence(id: String, hashFields fields: [String: String]) -> ServerPresence? {
        guard let url = fields["url"], !url.isEmpty else { return nil }
        let routes = fields["routes"].flatMap { try? JSONDecoder().decode([RouteAnnouncement].self, from: Data($0.utf8)) }
        return ServerPresence(
            id: id, url: url, nearCacheMs: fields["near_cache_ms"].flatMap { Int($0) } ?? 0,
            nearCacheActive: fields["near_cache_active"] == "1",
            startedMs: fields["started_ms"].flatMap { Int64($0) } ?? 0, routes: routes ?? [],
            admin: fields["admin"].flatMap(ServerPresence.Admin.init(rawValue:)) ?? .closed)
    }
}
