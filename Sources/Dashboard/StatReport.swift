import CacheCore
import Foundation

/// The dashboard's numbers for scripts (`cachescope stat`): polls go in, a versioned JSON object
/// or a text table comes out. Hit rates are fractions (0–1) here, so assertions read naturally
/// (`routes./products.hit_rate >= 0.9`); the schema is in `docs/schema.md` and kept stable.
public struct StatReport: Sendable {
    public static let version = 1

    private var total = RateHistory()
    private var routes: [String: RateHistory] = [:]
    private var last: PollResult?

    public init() {}

    public mutating func record(_ poll: PollResult) {
        total.record(timeMs: poll.nowMs, totals: poll.routeTotals.values.reduce(RouteCounts(), +))
        for (route, counts) in poll.routeTotals {
            routes[route, default: RateHistory()].record(timeMs: poll.nowMs, totals: counts)
        }
        last = poll
    }

    /// The latest sample as the `stat --json` object; the 10 s and 60 s rates span what the
    /// recorded polls cover, up to those windows.
    public var json: [String: Any] {
        guard let last else { return ["version": Self.version] }
        let redis = last.redis
        let lookups = redis.keyspaceHits + redis.keyspaceMisses
        var routeObjects: [String: Any] = [:]
        for (route, history) in routes {
            let counts = history.latestTotals ?? RouteCounts()
            var object: [String: Any] = [:]
            for field in CounterField.allCases where !field.isByCause {
                object[field.name] = counts[field]
            }
            object["hit_rate"] = Self.fraction(counts.hitRate)
            object["misses_by_cause"] = Dictionary(uniqueKeysWithValues: counts.missesByCause.map { ($0.key.rawValue, $0.value) })
            object["bypasses_by_cause"] = Dictionary(
                uniqueKeysWithValues: counts.bypassesByCause.map { ($0.key.rawValue, $0.value) })
            routeObjects[route] = object
        }
        return [
            "version": Self.version,
            "ts_ms": last.nowMs,
            "redis": [
                "address": redis.address, "version": redis.version, "used_memory": redis.usedMemoryBytes,
                "keyspace_hit_rate": lookups == 0 ? NSNull() : Double(redis.keyspaceHits) / Double(lookups) as Any,
                "evicted_keys": redis.evictedKeys, "expired_keys": redis.expiredKeys, "refuses_writes": redis.refusesWrites,
            ] as [String: Any],
            "servers": last.servers.count,
            "hit_rate": [
                "10s": Self.fraction(total.hitRate(windowMs: 10_000)), "60s": Self.fraction(total.hitRate(windowMs: 60_000)),
                "all": Self.fraction(total.latestTotals?.hitRate),
            ],
            "routes": routeObjects,
        ]
    }

    /// The same numbers as a compact table, one row per route.
    public var text: String {
        guard let last else { return "no sample" }
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0) } ?? "—" }
        var lines = [
            "redis \(last.redis.address) v\(last.redis.version)  servers \(last.servers.count)  hit rate 10s \(percent(total.hitRate(windowMs: 10_000)))  60s \(percent(total.hitRate(windowMs: 60_000)))  all \(percent(total.latestTotals?.hitRate))",
            "ROUTE".padded(to: 18) + "HITS".rightAligned(to: 10) + "MISSES".rightAligned(to: 10) + "STALE".rightAligned(to: 8)
                + "BYPASS".rightAligned(to: 8) + "HIT%".rightAligned(to: 8) + "  MISSES BY CAUSE",
        ]
        for (route, history) in routes.sorted(by: { $0.key < $1.key }) {
            let counts = history.latestTotals ?? RouteCounts()
            let causes = MissCause.allCases.filter { counts[.counting(miss: $0)] > 0 }
                .map { "\($0.rawValue) \(counts[.counting(miss: $0)])" }.joined(separator: ", ")
            lines.append(
                route.padded(to: 18) + String(counts.hits).rightAligned(to: 10) + String(counts.misses).rightAligned(to: 10)
                    + String(counts.stale).rightAligned(to: 8) + String(counts.bypasses).rightAligned(to: 8)
                    + percent(counts.hitRate).rightAligned(to: 8) + "  " + (causes.isEmpty ? "—" : causes))
        }
        return lines.joined(separator: "\n")
    }

    private static func fraction(_ percent: Double?) -> Any { percent.map { ($0 / 100 * 10_000).rounded() / 10_000 } ?? NSNull() }
}

/// One `stat --assert` check, `PATH OP NUMBER`, like `routes./products.hit_rate >= 0.9`: the path
/// names a number in the `stat --json` object (keys may hold dots: the longest key that fits wins).
public struct StatAssertion: Sendable, Equatable {
    public enum Operator: String, Sendable, CaseIterable {
        case atLeast = ">=", atMost = "<=", equal = "==", notEqual = "!=", above = ">", below = "<"

        func holds(_ value: Double, _ bound: Double) -> Bool {
            switch self {
            case .atLeast: value >= bound
            case .atMost: value <= bound
            case .equal: value == bound
            case .notEqual: value != bound
            case .above: value > bound
            case .below: value < bound
            }
        }
    }

    public let path: String
    public let comparison: Operator
    public let bound: Double
    public let text: String

    /// Throws a message saying what is wrong with `text`.
    public init(parsing text: String) throws(StatAssertionError) {
        self.text = text
        // Two-character operators first, so `>=` is not read as `>` then `=`.
        for comparison in Operator.allCases {
            let parts = text.components(separatedBy: comparison.rawValue)
            guard parts.count == 2 else { continue }
            let path = parts[0].trimmingCharacters(in: .whitespaces)
            let number = parts[1].trimmingCharacters(in: .whitespaces)
            guard !path.isEmpty else { throw StatAssertionError("'\(text)' names no value before \(comparison.rawValue)") }
            guard let bound = Double(number) else {
                throw StatAssertionError("'\(text)': '\(number)' after \(comparison.rawValue) is not a number")
            }
            self.path = path
            self.comparison = comparison
            self.bound = bound
            return
        }
        throw StatAssertionError("'\(text)' has no comparison: write PATH OP NUMBER with OP one of >= <= == != > <")
    }

    /// Whether it holds for `object`; a failure says what the value was (or that there is none).
    public func check(_ object: [String: Any]) -> (holds: Bool, detail: String) {
        guard let value = Self.number(at: path, in: object) else {
            return (false, "\(text): \(path) is not a number in this sample")
        }
        let holds = comparison.holds(value, bound)
        return (holds, "\(text): \(path) is \(Self.format(value))")
    }

    static func number(at path: String, in object: [String: Any]) -> Double? {
        // The longest key that is the whole path or a prefix followed by a dot.
        let candidates = object.keys.filter { path == $0 || path.hasPrefix($0 + ".") }.sorted { $0.count > $1.count }
        for key in candidates {
            if key == path {
                switch object[key] {
                case let value as Int: return Double(value)
                case let value as Int64: return Double(value)
                case let value as Double: return value
                default: return nil
                }
            }
            if let inner = object[key] as? [String: Any],
                let number = number(at: String(path.dropFirst(key.count + 1)), in: inner)
            {
                return number
            }
        }
        return nil
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

public struct StatAssertionError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
