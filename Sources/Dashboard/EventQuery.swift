import CacheCore

/// A filter over cache events, typed at the `:` prompt, like varnishlog's `-q`:
/// `event == miss and route == /products and latency > 100ms`.
///
/// Grammar: `or := and ("or" and)*`, `and := not ("and" not)*`, `not := "not" not | "(" or ")" |
/// FIELD OP VALUE`. Fields: `event`, `key`, `route`, `cause`, `server`, `latency`. Operators:
/// `== != < <= > >=` and `~` (substring). A value is a word or a double-quoted string; a latency
/// is a number with `us`, `ms` or `s`. `not` binds tightest, then `and`, then `or`.
public indirect enum EventQuery: Equatable, Sendable {
    case compare(Field, Operator, Value)
    case not(EventQuery)
    case and(EventQuery, EventQuery)
    case or(EventQuery, EventQuery)

    public enum Field: String, CaseIterable, Sendable { case event, key, route, cause, server, latency }

    public enum Operator: String, CaseIterable, Sendable {
        case equal = "==", notEqual = "!=", atMost = "<=", atLeast = ">=", below = "<", above = ">", contains = "~"
    }

    public enum Value: Equatable, Sendable {
        case text(String)
        case microseconds(Int)
    }

    /// A query that does not parse: what is wrong, and the 1-based column it points at.
    public struct SyntaxError: Error, Equatable, Sendable {
        public let message: String
        public let column: Int
    }

    public init(parsing text: String) throws(SyntaxError) {
        var parser = Parser(tokens: try Self.tokens(of: text), end: text.count + 1)
        self = try parser.or()
        if let extra = parser.peek { throw SyntaxError(message: "unexpected '\(extra.text)'", column: extra.column) }
    }

    public func matches(_ event: CacheEvent) -> Bool {
        switch self {
        case .not(let query): !query.matches(event)
        case .and(let left, let right): left.matches(event) && right.matches(event)
        case .or(let left, let right): left.matches(event) || right.matches(event)
        case .compare(let field, let comparison, let value): Self.compare(field, comparison, value, event)
        }
    }

    private static func compare(_ field: Field, _ comparison: Operator, _ value: Value, _ event: CacheEvent) -> Bool {
        if case .microseconds(let bound) = value {
            let latency = event.latencyUs
            switch comparison {
            case .equal: return latency == bound
            case .notEqual: return latency != bound
            case .atMost: return latency <= bound
            case .atLeast: return latency >= bound
            case .below: return latency < bound
            case .above: return latency > bound
            case .contains: return false
            }
        }
        guard case .text(let text) = value else { return false }
        let actual: String =
            switch field {
            case .event: event.outcome.rawValue
            case .key: event.key
            case .route: event.route
            case .cause: event.cause ?? ""
            case .server: event.server
            case .latency: String(event.latencyUs)
            }
        switch comparison {
        case .equal: return actual == text
        case .notEqual: return actual != text
        case .contains: return actual.contains(text)
        case .atMost: return actual <= text
        case .atLeast: return actual >= text
        case .below: return actual < text
        case .above: return actual > text
        }
    }

    // MARK: Tokens and parsing

    struct Token: Equatable {
        enum Kind: Equatable { case word, quoted, symbol }
        let kind: Kind
        let text: String
        let column: Int
    }

    static func tokens(of text: String) throws(SyntaxError) -> [Token] {
        let characters = Array(text)
        var tokens: [Token] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            let column = index + 1
            if character == " " {
                index += 1
            } else if character == "(" || character == ")" {
                tokens.append(Token(kind: .symbol, text: String(character), column: column))
                index += 1
            } else if "=!<>~".contains(character) {
                var symbol = String(character)
                if index + 1 < characters.count, characters[index + 1] == "=" {
                    symbol.append("=")
                }
                guard Operator(rawValue: symbol) != nil else {
                    throw SyntaxError(message: "'\(symbol)' is no operator: use == != < <= > >= or ~", column: column)
                }
                tokens.append(Token(kind: .symbol, text: symbol, column: column))
                index += symbol.count
            } else if character == "\"" {
                guard let close = characters[(index + 1)...].firstIndex(of: "\"") else {
                    throw SyntaxError(message: "unterminated string", column: column)
                }
                tokens.append(Token(kind: .quoted, text: String(characters[(index + 1)..<close]), column: column))
                index = close + 1
            } else {
                var end = index
                while end < characters.count, !" ()=!<>~\"".contains(characters[end]) { end += 1 }
                tokens.append(Token(kind: .word, text: String(characters[index..<end]), column: column))
                index = end
            }
        }
        return tokens
    }

    struct Parser {
        let tokens: [Token]
        /// The column just past the text, for "expected … at the end".
        let end: Int
        var position = 0

        var peek: Token? { position < tokens.count ? tokens[position] : nil }

        mutating func next() -> Token? {
            defer { position += 1 }
            return peek
        }

        func isKeyword(_ word: String) -> Bool { peek?.kind == .word && peek?.text == word }

        mutating func or() throws(SyntaxError) -> EventQuery {
            var query = try and()
            while isKeyword("or") {
                position += 1
                query = .or(query, try and())
            }
            return query
        }

        mutating func and() throws(SyntaxError) -> EventQuery {
            var query = try not()
            while isKeyword("and") {
                position += 1
                query = .and(query, try not())
            }
            return query
        }

        mutating func not() throws(SyntaxError) -> EventQuery {
            if isKeyword("not") {
                position += 1
                return .not(try not())
            }
            if peek?.kind == .symbol, peek?.text == "(" {
                let open = next()!
                let inner = try or()
                guard let close = next(), close.kind == .symbol, close.text == ")" else {
                    throw SyntaxError(message: "'(' at column \(open.column) is not closed", column: end)
                }
                return inner
            }
            return try comparison()
        }

        mutating func comparison() throws(SyntaxError) -> EventQuery {
            guard let fieldToken = next() else { throw SyntaxError(message: "expected a field", column: end) }
            guard fieldToken.kind == .word, let field = Field(rawValue: fieldToken.text) else {
                let fields = Field.allCases.map(\.rawValue).joined(separator: ", ")
                throw SyntaxError(message: "'\(fieldToken.text)' is no field: use \(fields)", column: fieldToken.column)
            }
            guard let operatorToken = next(), operatorToken.kind == .symbol,
                let comparison = Operator(rawValue: operatorToken.text)
            else {
                throw SyntaxError(message: "expected an operator after '\(field.rawValue)'", column: peekColumn(back: 1))
            }
            guard let valueToken = next(), valueToken.kind != .symbol else {
                throw SyntaxError(message: "expected a value after '\(comparison.rawValue)'", column: peekColumn(back: 1))
            }
            guard field == .latency else { return .compare(field, comparison, .text(valueToken.text)) }
            guard comparison != .contains, let microseconds = Self.microseconds(valueToken.text) else {
                throw SyntaxError(
                    message: "a latency is compared with a number and a unit, like 100ms, 250us or 2s",
                    column: valueToken.column)
            }
            return .compare(field, comparison, .microseconds(microseconds))
        }

        /// The column of the token `back` before the current one, or the end.
        private func peekColumn(back: Int) -> Int {
            let index = position - back
            return index >= 0 && index < tokens.count ? tokens[index].column : end
        }

        static func microseconds(_ text: String) -> Int? {
            for (unit, scale) in [("us", 1.0), ("µs", 1.0), ("ms", 1_000.0), ("s", 1_000_000.0)] where text.hasSuffix(unit) {
                guard let number = Double(text.dropLast(unit.count)), number >= 0 else { return nil }
                return Int((number * scale).rounded())
            }
            return nil
        }
    }
}
