import CacheCore
import CacheProtocol
import Foundation
import Hummingbird
import Prometheus
import RedisClient

extension CacheScope {
    /// Adds `/health`, `/metrics`, `/cache/stats` and the admin actions `/cache/invalidate` and
    /// `/cache/warm` to a router of the app's own (`makeRouter` adds them itself).
    public func addCacheEndpoints<Context: RequestContext>(to router: Router<Context>) {
        router.get("/health") { _, _ in
            let up = (try? await self.connections.admin.send(RedisCommand("PING"))) == .status("PONG")
            let origin = self.origin.current
            let health = Health(
                redis: up ? "up" : "down", redisError: up ? nil : self.connections.request.lastError,
                redisOOM: self.responses.memory.isRaised, origin: origin.isUp ? "up" : "down",
                originError: origin.isUp ? nil : origin.lastError)
            return jsonResponse(status: 200, body: OriginResponse.json(health).body)
        }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(
                status: .ok, headers: headers,
                body: .init(byteBuffer: ByteBuffer(bytes: CacheMetrics.registry.emitToBuffer())))
        }
        router.get("/cache/stats") { _, _ in
            jsonResponse(
                status: 200, body: Array(try JSONSerialization.data(withJSONObject: await self.stats(), options: [.sortedKeys])))
        }
        router.post("/cache/invalidate") { request, _ in
            try self.authorize(request)
            let body = try await JSONValue.object(in: request)
            let pattern: String
            if case .string(let key)? = body["key"] {
                pattern = Glob.escape(key)
            } else if case .string(let glob)? = body["pattern"], !glob.isEmpty {
                pattern = glob
            } else {
                throw APIError(422, "give 'pattern' (a glob such as \"shop:/products:*\") or 'key' (an exact key)")
            }
            let prefixes = self.routes.prefixes
            guard Glob.isConfined(pattern, to: prefixes) else {
                let allowed = prefixes.map { "'\($0):'" }.joined(separator: " or ")
                throw APIError(422, "'pattern' and 'key' must start with \(allowed), the cache's own keys")
            }
            guard let deleted = await self.invalidator.invalidate([.pattern(pattern)], reason: "POST /cache/invalidate") else {
                throw APIError(503, "Redis is unreachable; the invalidation is queued and the cache is bypassed until it is done")
            }
            return jsonResponse(status: 200, body: OriginResponse.json(["deleted": deleted]).body)
        }
        router.post("/cache/warm") { request, _ in
            try self.authorize(request)
            let body = try await JSONValue.object(in: request, emptyAllowed: true)
            var targets = self.warmTargets
            if let keyValue = body["key"] {
                guard case .string(let key) = keyValue else { throw APIError(422, "'key' must be a string") }
                let target = try await self.requestForKey(key)
                do throws(APIError) {
                    _ = try self.routes.resolve(target: target)
                } catch {
                    throw APIError(404, "unknown key '\(key)': '\(target)' is not a cacheable request")
                }
                targets = [target]
            }
            let warmed = await self.warm(targets)
            return jsonResponse(status: 200, body: OriginResponse.json(["warmed": warmed]).body)
        }
    }

    /// `/health`: the server answers (with or without Redis), and what it knows of Redis.
    private struct Health: Encodable {
        var status = "ok"
        let redis: String
        /// Why the connection is down, as the last attempt found (a refused password, a TLS error).
        let redisError: String?
        /// Redis refuses writes for memory: requests are served, nothing is cached.
        let redisOOM: Bool
        /// Whether the store answered the last load, write or probe, and if not, why.
        let origin: String
        let originError: String?

        enum CodingKeys: String, CodingKey {
            case status, redis, origin
            case redisError = "redis_error"
            case redisOOM = "redis_oom"
            case originError = "origin_error"
        }
    }

    /// Admin calls need the bearer token when one is set, and a token at all off loopback: the rule
    /// of `/cache/*`, for an app's own admin routes too.
    public func authorize(_ request: Request) throws(APIError) {
        switch configuration.adminAccess {
        case .open: return
        case .closed: throw APIError(403, "admin endpoints are disabled on a non-loopback address without --admin-token")
        case .token: break
        }
        guard let token = configuration.adminToken,
            let credentials = request.headers[.authorization].flatMap(Self.bearerCredentials),
            Self.constantTimeEqual(credentials, token)
        else {
            throw APIError(401, "missing or wrong 'Authorization: Bearer <token>'")
        }
    }

    /// The credentials of an `Authorization: Bearer …` header; the scheme is case-insensitive (RFC 7235).
    static func bearerCredentials(_ header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }

    /// Compares in time that depends only on the lengths, so a wrong token reveals nothing of the right one.
    static func constantTimeEqual(_ given: String, _ expected: String) -> Bool {
        let a = Array(given.utf8), b = Array(expected.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }

    /// The request a key stands for: from the key itself when its query is empty, else as
    /// recorded by whichever server filled it.
    private func requestForKey(_ key: String) async throws -> String {
        let emptyQuery = CanonicalQuery("").hash8
        if let prefix = routes.prefixes.first(where: { key.hasPrefix($0 + ":") }), key.hasSuffix(":" + emptyQuery) {
            return String(key.dropFirst(prefix.count + 1).dropLast(emptyQuery.count + 1))
        }
        let reply = try? await connections.admin.send(RedisCommand("HGET", schema.key(key), "request"))
        guard let request = reply?.string else {
            throw APIError(404, "unknown key '\(key)': no server has recorded which request fills it")
        }
        return request
    }

    private func stats() async -> [String: Any] {
        let replies = try? await connections.admin.send([RedisCommand("INFO", "stats"), RedisCommand("DBSIZE")])
        let info = RedisInfo(replies?.first?.string ?? "")
        let hits = info.int("keyspace_hits"), misses = info.int("keyspace_misses")
        var perRoute: [String: Any] = [:]
        let totals = recorder.totals
        for route in routes.routes.map(\.policy.route).sorted() {
            let counts = totals[route] ?? RouteCounts()
            perRoute[route] = [
                "hits": counts.hits, "misses": counts.misses, "fills": counts.fills,
                "origin_fetches": counts.originFetches, "coalesced": counts.coalesced,
                "bypasses": counts.bypasses, "negative_hits": counts.negativeHits, "stale": counts.stale,
                "refused": counts.refused,
                "misses_by_cause": Dictionary(uniqueKeysWithValues: counts.missesByCause.map { ($0.key.rawValue, $0.value) }),
                "bypasses_by_cause": Dictionary(
                    uniqueKeysWithValues: counts.bypassesByCause.map { ($0.key.rawValue, $0.value) }),
                "hit_rate": counts.hitRate.map { ($0 * 100).rounded() / 100 } as Any,
            ]
        }
        let hitRate: Double? = hits.flatMap { h in
            misses.map { m in (Double(h) / Double(max(1, h + m)) * 10_000).rounded() / 100 }
        }
        return [
            "redis": replies == nil ? "down" : "up",
            "redis_oom": responses.memory.isRaised,
            "origin": origin.stats,
            "scope":
                "total_keys, hits, misses and hit_rate are Redis-wide (INFO stats, every client); routes are counted by this server",
            "total_keys": replies?.last?.int as Any,
            "hits": hits as Any,
            "misses": misses as Any,
            "hit_rate": hitRate as Any,
            "routes": perRoute,
            "server": configuration.serverID,
            "pending_invalidations": invalidator.pending.count,
            "near_cache": near.map { near -> [String: Any] in
                [
                    "active": near.isServing, "entries": near.count, "bytes": near.bytes,
                    "max_age_ms": near.maxAge.wholeMilliseconds, "fast_path_hits": fastPath?.answered ?? 0,
                ]
            } ?? ["active": false],
            "write_fences": ["published": invalidator.fence.published, "waited_out": invalidator.fence.waitedOut],
        ]
    }
}
