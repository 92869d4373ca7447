/// Redis glob patterns (`*`, `?`, `[abc]`, `[^a-z]`, `\x`), matched the way Redis's
/// `stringmatchlen` does, so in-process bookkeeping agrees with SCAN MATCH.
public enum Glob {
    /// `pattern` with every metacharacter escaped, so it matches `literal` and nothing else.
    public static func escape(_ literal: String) -> String {
        var out = ""
        for character in literal {
            if "*?[]\\".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// Whether the pattern has any unescaped metacharacter.
    public static func hasWildcards(_ pattern: String) -> Bool {
        var escaped = false
        for character in pattern {
            if escaped {
                escaped = false
                continue
            }
            if character == "\\" {
                escaped = true
                continue
            }
            if "*?[".contains(character) { return true }
        }
        return false
    }

    /// Whether every key the pattern can match lies under one of the cache prefixes (`shop:…`),
    /// so an invalidation can never reach the counters, generations or stream beside the cache.
    public static func isConfined(_ pattern: String, to prefixes: [String]) -> Bool {
        let literal = literalPrefix(pattern)
        return prefixes.contains { literal.hasPrefix($0 + ":") }
    }

    /// The literal text before the first metacharacter, unescaped.
    public static func literalPrefix(_ pattern: String) -> String {
        var out = ""
        var escaped = false
        for character in pattern {
            if escaped {
                out.append(character)
                escaped = false
                continue
            }
            if character == "\\" {
                escaped = true
                continue
            }
            if "*?[".contains(character) { break }
            out.append(character)
        }
        return out
    }

    public static func matches(_ pattern: String, _ text: String) -> Bool {
        match(Array(pattern.unicodeScalars), 0, Array(text.unicodeScalars), 0)
    }

    private static func match(_ p: [Unicode.Scalar], _ pi: Int, _ s: [Unicode.Scalar], _ si: Int) -> Bool {
        var pi = pi, si = si
        while pi < p.count {
            switch p[pi] {
            case "*":
                while pi + 1 < p.count && p[pi + 1] == "*" { pi += 1 }
                if pi + 1 == p.count { return true }
                for start in si...s.count where match(p, pi + 1, s, start) { return true }
                return false
            case "?":
                guard si < s.count else { return false }
                si += 1
            case "[":
                guard si < s.count else { return false }
                var i = pi + 1
                let negate = i < p.count && p[i] == "^"
                if negate { i += 1 }
                var found = false
                while i < p.count && p[i] != "]" {
                    if p[i] == "\\" && i + 1 < p.count {
                        i += 1
                        if p[i] == s[si] { found = true }
                    } else if i + 2 < p.count && p[i + 1] == "-" && p[i + 2] != "]" {
                        let (lo, hi) = p[i] <= p[i + 2] ? (p[i], p[i + 2]) : (p[i + 2], p[i])
                        if lo <= s[si] && s[si] <= hi { found = true }
                        i += 2
                    } else if p[i] == s[si] {
                        found = true
                    }
                    i += 1
                }
                if found == negate { return false }
                pi = i  // on the closing bracket (or past the end)
                si += 1
            case "\\" where pi + 1 < p.count:
                pi += 1
                guard si < s.count, p[pi] == s[si] else { return false }
                si += 1
            default:
                guard si < s.count, p[pi] == s[si] else { return false }
                si += 1
            }
            pi += 1
        }
        return si == s.count
    }
}
