@preconcurrency import CNcurses
import Dashboard
import Foundation

/// What the terminal reports back to the shell.
public enum TerminalInput: Equatable, Sendable {
    case key(KeyPress)
    case resize(width: Int, height: Int)
    /// Ctrl-C: raw mode delivers it as a key, so the shell decides how to stop.
    case interrupt
}

/// The ncurses screen: draws `ScreenBuffer`s and reads keys. The only place with C pointers.
public final class Terminal {
    private var previous: ScreenBuffer?
    private var isActive = true
    /// False when `NO_COLOR` is set (no-color.org) or the terminal has none: roles are told apart by
    /// bold and reverse video alone, and no colour escape is ever sent.
    private let usesColor: Bool

    /// Takes over the screen. Call `TerminalCheck.usable()` first: `initscr` exits on an unusable TERM.
    /// `mouse`: clicks select and the wheel scrolls (`--no-mouse` leaves the mouse to the terminal).
    public init(noColor: Bool = !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty, mouse: Bool = true) {
        setlocale(LC_ALL, "")
        initscr()
        raw()
        noecho()
        keypad(stdscr, true)
        curs_set(0)
        set_escdelay(25)
        if mouse { cn_enable_mouse() }
        usesColor = !noColor && has_colors()
        if usesColor {
            start_color()
            use_default_colors()
            for (index, role) in ColorRole.allCases.enumerated() {
                let colors = Self.colors(of: role)
                init_pair(Int16(index + 1), colors.foreground, colors.background)
            }
        }
    }

    deinit { restore() }

    public var size: (width: Int, height: Int) { (Int(cn_getmaxx(stdscr)), Int(cn_getmaxy(stdscr))) }

    /// Writes only the cells that changed since the last draw (everything after a resize).
    public func draw(_ buffer: ScreenBuffer) {
        if previous?.width != buffer.width || previous?.height != buffer.height {
            wclear(stdscr)
            previous = nil
        }
        for y in 0..<buffer.height {
            var x = 0
            while x < buffer.width {
                guard previous?[x, y] != buffer[x, y] else {
                    x += 1
                    continue
                }
                // A run of changed cells sharing one role goes out in one call.
                let role = buffer[x, y].role
                var run = ""
                let start = x
                while x < buffer.width, buffer[x, y].role == role, previous?[x, y] != buffer[x, y] {
                    run.append(buffer[x, y].character)
                    x += 1
                }
                wattrset(stdscr, Int32(bitPattern: UInt32(attributes(of: role))))
                mvwaddstr(stdscr, Int32(y), Int32(start), run)
            }
        }
        wattrset(stdscr, 0)
        wrefresh(stdscr)
        previous = buffer
    }

    /// Waits up to `timeoutMs` for input; nil when none came (or a key the dashboard does not use).
    public func readKey(timeoutMs: Int) -> TerminalInput? {
        wtimeout(stdscr, Int32(timeoutMs))
        var character: wint_t = 0
        let status = wget_wch(stdscr, &character)
        let code = Int32(bitPattern: UInt32(character))
        if status == KEY_CODE_YES {
            switch code {
            case cn_key_resize():
                previous = nil
                return .resize(width: size.width, height: size.height)
            case cn_key_up(): return .key(.up)
            case cn_key_down(): return .key(.down)
            case cn_key_ppage(): return .key(.pageUp)
            case cn_key_npage(): return .key(.pageDown)
            case cn_key_home(): return .key(.home)
            case cn_key_end(): return .key(.end)
            case cn_key_enter(): return .key(.enter)
            case cn_key_backspace(): return .key(.backspace)
            case cn_key_btab(): return .key(.backTab)
            case cn_key_mouse():
                var x: Int32 = 0, y: Int32 = 0
                switch cn_read_mouse(&x, &y) {
                case 1: return .key(.click(x: Int(x), y: Int(y)))
                case 2: return .key(.wheelUp)
                case 3: return .key(.wheelDown)
                default: return nil
                }
            default: return nil
            }
        }
        guard status == OK else { return nil }
        switch code {
        case 3: return .interrupt
        case 27: return .key(.escape)
        case 9: return .key(.tab)
        case 10, 13: return .key(.enter)
        case 8, 127: return .key(.backspace)
        case 32...: return Unicode.Scalar(UInt32(code)).map { .key(.char(Character($0))) }
        default: return nil
        }
    }

    /// Gives the terminal back (endwin). Safe to call more than once.
    public func restore() {
        guard isActive else { return }
        isActive = false
        endwin()
    }

    private static func colors(of role: ColorRole) -> (foreground: Int16, background: Int16) {
        switch role {
        case .normal, .label, .dim, .selected: (-1, -1)
        case .title, .warm: (Int16(COLOR_CYAN), -1)
        case .hit, .bar: (Int16(COLOR_GREEN), -1)
        case .miss, .warn: (Int16(COLOR_YELLOW), -1)
        case .fill: (Int16(COLOR_BLUE), -1)
        case .coalesced, .bypass: (Int16(COLOR_MAGENTA), -1)
        case .invalidate, .causeInvalidated: (Int16(COLOR_RED), -1)
        case .causeCold: (Int16(COLOR_BLUE), -1)
        case .causeExpired: (Int16(COLOR_YELLOW), -1)
        case .causeEvicted: (Int16(COLOR_MAGENTA), -1)
        case .causeRefused: (Int16(COLOR_CYAN), -1)
        case .causeUncacheable: (Int16(COLOR_WHITE), -1)
        case .error: (Int16(COLOR_WHITE), Int16(COLOR_RED))
        }
    }

    private func attributes(of role: ColorRole) -> attr_t {
        guard usesColor else { return Self.monochrome(role) }
        let pair = cn_color_pair(Int16(ColorRole.allCases.firstIndex(of: role)! + 1))
        switch role {
        case .title, .label, .warn, .error, .invalidate: return pair | cn_a_bold()
        case .dim: return pair | cn_a_dim()
        case .selected: return pair | cn_a_reverse()
        default: return pair
        }
    }

    /// Without colour: what must stand out is bold, what is selected or alarming is reversed.
    private static func monochrome(_ role: ColorRole) -> attr_t {
        switch role {
        case .title, .label, .warn, .miss, .invalidate: cn_a_bold()
        case .selected: cn_a_reverse()
        case .error: cn_a_reverse() | cn_a_bold()
        default: 0
        }
    }
}
