/// What a cell means; the terminal backend alone decides which colours that is.
public enum ColorRole: Sendable, Equatable, CaseIterable {
    case normal, title, label, hit, miss, fill, coalesced, invalidate, warm, bypass, warn, error, dim, selected, bar
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
            if column >= 0 { cells[y * width + column] = Cell(character, role) }
            column += 1
        }
    }

    /// Gives a run of cells a role without changing their text (selection, highlights).
    public mutating func paint(_ role: ColorRole, x: Int, y: Int, count: Int) {
        let start = max(0, x), end = min(width, x + count)
        guard y >= 0, y < height, start < end else { return }
        for column in start..<end { cells[y * width + column].role = role }
    }
}
