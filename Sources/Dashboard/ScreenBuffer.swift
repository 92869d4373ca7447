/// What a cell means; the terminal backend alone decides which colours that is.
public enum ColorRole: Sendable, Equatable, CaseIterable {
    case normal, title, label, hit, miss, fill, coalesced, invalidate, warm, bypass, warn, error, dim, selected, bar
    /// One per miss cause, in misses-by-cause bars.
    case causeCold, causeExpired, causeInvalidated, causeEvicted, causeRefused, causeUncacheable
}

/// One screen position: a single-column character and its role.
public struct Cell: Sendable, Equatable {
    public var character: Character
    public var role: ColorRole

    public init(_ character: Character = " ", _ role: ColorRole = .normal) {
        self.character = character
        self.role = role
    }
}

/// The whole frame as plain values, so rendering can be tested without a terminal and drawn by diffing.
public struct ScreenBuffer: Sendable, Equatable {
    public let width: Int
    public let height: Int
    private var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: Cell(), count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell { cells[y * width + x] }

    /// Each row as text, trailing spaces trimmed.
    public var lines: [String] {
        (0..<height).map { y in
            var row = String(cells[(y * width)..<((y + 1) * width)].map(\.character))
            while row.last == " " { row.removeLast() }
            return row
        }
    }

    public func role(atX x: Int, y: Int) -> ColorRole { self[x, y].role }

    /// Writes `text` from column `x`, clipped to `maxWidth` and to the screen edge.
    public mutating func put(_ text: String, x: Int, y: Int, role: ColorRole = .normal, maxWidth: Int = .max) {
        guard y >= 0, y < height else { return }
        var column = x
        for character in text.prefix(max(0, maxWidth)) {
            guard column < width else { return }
            if column >= 0 { cells[y * width + column] = Cell(Self.singleColumn(character), role) }
            column += 1
        }
    }

    /// The layout gives every character one column. Text from Redis (key names) may hold control
    /// characters, which would move the cursor, or East Asian wide characters and emoji, which
    /// take two columns: they are shown as `?` so that no row spills into another.
    static func singleColumn(_ character: Character) -> Character {
        guard let scalar = character.unicodeScalars.first, !character.isASCII || scalar.value < 0x20 || scalar.value == 0x7F
        else {
            return character
        }
        switch scalar.properties.generalCategory {
        case .control, .format, .nonspacingMark, .enclosingMark, .spacingMark: return "?"  // zero columns or cursor moves
        default: break
        }
        // Emoji, and anything made emoji by a variation selector, take two columns.
        if scalar.properties.isEmojiPresentation || character.unicodeScalars.contains(where: { $0.value == 0xFE0F }) {
            return "?"
        }
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60,
            0xFFE0...0xFFE6, 0x16FE0...0x1B2FF, 0x1F200...0x1F2FF, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return "?"
        default:
            return character
        }
    }

    /// Gives a run of cells a role without changing their text (selection, highlights).
    public mutating func paint(_ role: ColorRole, x: Int, y: Int, count: Int) {
        let start = max(0, x), end = min(width, x + count)
        guard y >= 0, y < height, start < end else { return }
        for column in start..<end { cells[y * width + column].role = role }
    }
}
