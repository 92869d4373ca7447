@preconcurrency import CNcurses

/// Whether a full-screen dashboard can run here. `initscr` exits the process when the terminal
/// type is unusable, so this must be asked first.
public enum TerminalCheck {
    /// nil when stdin and stdout are terminals and terminfo knows `TERM`; otherwise why not.
    public static func usable() -> String? {
        guard isatty(STDIN_FILENO) == 1 else { return "stdin is not a terminal" }
        guard isatty(STDOUT_FILENO) == 1 else { return "stdout is not a terminal" }
        guard let term = getenv("TERM").map({ String(cString: $0) }), !term.isEmpty else { return "TERM is not set" }
        guard term != "dumb" else { return "TERM=dumb cannot show a full-screen dashboard" }
        var error: Int32 = 0
        guard setupterm(nil, STDOUT_FILENO, &error) == OK else { return "terminfo does not know TERM=\(term)" }
        return nil
    }
}
