/// A path pattern such as `/products/{id}`: literal segments and `{name}` captures, each
/// matching exactly one non-empty segment. Routes are declared with it once; the router, the
/// 405 table, warm targets and the dashboard's route-of-key all match with it.
public struct RoutePattern: Sendable, Hashable, CustomStringConvertible {
    enum Segment: Sendable, Hashable {
        case literal(String)
        case capture(String)
    }

    let segments: [Segment]
    public let description: String

    /// `text` starts with `/`; a segment `{name}` (or Hummingbird's `:name`) captures.
    public init(_ text: String) {
        let segments = text.split(separator: "/", omittingEmptySubsequences: true).map { part -> Segment in
            if part.hasPrefix("{"), part.hasSuffix("}"), part.count > 2 { return .capture(String(part.dropFirst().dropLast())) }
            if part.hasPrefix(":"), part.count > 1 { return .capture(String(part.dropFirst())) }
            return .literal(String(part))
        }
        self.segments = segments
        description =
            "/"
            + segments.map { segment in
                switch segment {
                case .literal(let text): text
                case .capture(let name): "{\(name)}"
                }
            }.joined(separator: "/")
    }

    /// The literal path before the first capture (`/products` for `/products/{id}`), and whether
    /// that is the whole pattern.
    public var literalPath: (path: String, isWhole: Bool) {
        let literals = segments.prefix { if case .literal = $0 { true } else { false } }
        let path = "/" + literals.map { if case .literal(let text) = $0 { text } else { "" } }.joined(separator: "/")
        return (path, literals.count == segments.count)
    }

    /// The captured values if `path` matches, else nil: `/products/{id}` on `/products/7` → `["id": "7"]`.
    /// On the request path for every cached GET: it walks the UTF-8 bytes once and allocates only
    /// for captures.
    public func match(_ path: String) -> [String: String]? {
        let slash = UInt8(ascii: "/")
        var rest = path.utf8[...]
        guard rest.first == slash else { return nil }
        if segments.isEmpty { return rest.count == 1 ? [:] : nil }
        var captures: [String: String] = [:]
        for segment in segments {
            guard rest.first == slash else { return nil }
            rest = rest.dropFirst()
            let end = rest.firstIndex(of: slash) ?? rest.endIndex
            let part = rest[..<end]
            switch segment {
            case .literal(let text):
                guard part.elementsEqual(text.utf8) else { return nil }
            case .capture(let name):
                guard !part.isEmpty else { return nil }
                captures[name] = String(decoding: part, as: UTF8.self)
            }
            rest = rest[end...]
        }
        return rest.isEmpty ? captures : nil
    }

    /// The path with each `{name}` replaced by `values[name]`: `/products/{id}` with `["id": "7"]` → `/products/7`.
    public func path(_ values: [String: String]) -> String {
        "/"
            + segments.map { segment in
                switch segment {
                case .literal(let text): text
                case .capture(let name): values[name] ?? ""
                }
            }.joined(separator: "/")
    }

    /// The route a cache key belongs to: `shop:/products/42:e3b0c442` → the pattern of `routes`
    /// whose prefix and path match, or nil.
    public static func route(ofKey key: String, in routes: [(prefix: String, pattern: RoutePattern)]) -> RoutePattern? {
        guard let group = CacheKey.group(ofKey: key) else { return nil }
        return routes.first { route in
            group.hasPrefix(route.prefix + ":") && route.pattern.match(String(group.dropFirst(route.prefix.count + 1))) != nil
        }?.pattern
    }
}

/// What a server announces of one cacheable route, so dashboards know route shapes and TTLs
/// without being told (`docs/schema.md`).
public struct RouteAnnouncement: Sendable, Equatable, Codable {
    public var method: String
    public var pattern: String
    public var prefix: String
    public var ttlMs: Int

    public init(method: String, pattern: String, prefix: String, ttlMs: Int) {
        self.method = method
        self.pattern = pattern
        self.prefix = prefix
        self.ttlMs = ttlMs
    }

    enum CodingKeys: String, CodingKey {
        case method, pattern, prefix
        case ttlMs = "ttl_ms"
    }
}
