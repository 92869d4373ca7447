/// Where each part of the screen goes. Fixed rows for header, tabs, panel and footer; the view
/// gets the rest (`viewTop` to `viewBottom`). In the Keys view the table and the event log share
/// it, three to two.
struct Layout {
    static let minWidth = 80, minHeight = 24
    static let tabsY = 2, panelTop = 3, tableHeaderY = 6

    let tableRows: Int
    /// The event log's header row; its entries follow.
    let logTop: Int
    let logRows: Int
    let hotkeysY: Int
    let statusY: Int

    /// nil when the window is below 80×24.
    init?(width: Int, height: Int) {
        guard width >= Self.minWidth, height >= Self.minHeight else { return nil }
        let shared = height - Self.tableHeaderY - 1 - 2
        logRows = shared * 2 / 5
        tableRows = shared - logRows
        logTop = Self.tableHeaderY + 1 + tableRows
        hotkeysY = height - 2
        statusY = height - 1
    }

    var tableTop: Int { Self.tableHeaderY + 1 }

    /// The first row a view other than Keys may use, and the last.
    var viewTop: Int { Self.tableHeaderY }
    var viewBottom: Int { hotkeysY - 1 }
}
