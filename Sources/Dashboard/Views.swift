/// The dashboard's screens, chosen with the number keys or `Tab`/`Shift-Tab`. The header, the tab
/// line, the hit-rate panel and the footer are on every one; the rest of the window is the view's.
public enum DashboardView: Int, CaseIterable, Sendable {
    case keys = 1, routes, top, latency, expiry, loads

    var title: String {
        switch self {
        case .keys: "Keys"
        case .routes: "Routes"
        case .top: "Top"
        case .latency: "Latency"
        case .expiry: "Expiry"
        case .loads: "Loads"
        }
    }

    /// The view a number key selects.
    init?(digit: Character) {
        guard let number = digit.wholeNumberValue else { return nil }
        self.init(rawValue: number)
    }

    /// The view after this one (`Tab`), or before it (`Shift-Tab`), wrapping around.
    func cycled(forward: Bool) -> DashboardView {
        let all = Self.allCases
        let index = all.firstIndex(of: self)!
        return all[(index + (forward ? 1 : all.count - 1)) % all.count]
    }
}

/// `1 Keys  2 Routes  3 Top  4 Latency  5 Expiry  6 Loads`, the active one highlighted.
func drawTabs(_ state: DashboardState, into buffer: inout ScreenBuffer) {
    var x = 0
    for view in DashboardView.allCases {
        let label = "\(view.rawValue) \(view.title)"
        buffer.put(label, x: x, y: Layout.tabsY, role: view == state.view ? .selected : .label)
        x += label.count + 2
    }
    if !state.queryText.isEmpty {
        buffer.put("query: \(state.queryText)", x: x + 2, y: Layout.tabsY, role: .warn, maxWidth: buffer.width - x - 2)
    }
}
