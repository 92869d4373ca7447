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

/// Each tab's label and where it starts on the tab line.
private let tabs: [(view: DashboardView, label: String, x: Int)] = {
    var x = 0
    return DashboardView.allCases.map { view in
        let label = "\(view.rawValue) \(view.title)"
        defer { x += label.count + 2 }
        return (view, label, x)
    }
}()

/// The tab under a click on the tab line.
func tabAt(x: Int) -> DashboardView? { tabs.first { x >= $0.x && x < $0.x + $0.label.count }?.view }

/// `1 Keys  2 Routes  3 Top  4 Latency  5 Expiry  6 Loads`, the active one highlighted.
func drawTabs(_ state: DashboardState, into buffer: inout ScreenBuffer) {
    for tab in tabs { buffer.put(tab.label, x: tab.x, y: Layout.tabsY, role: tab.view == state.view ? .selected : .label) }
    let x = (tabs.last.map { $0.x + $0.label.count } ?? 0)
    if !state.queryText.isEmpty {
        buffer.put("query: \(state.queryText)", x: x + 2, y: Layout.tabsY, role: .warn, maxWidth: buffer.width - x - 2)
    }
}
