/// Draws the whole window from the state; the terminal backend only copies the result.
public func render(_ state: DashboardState) -> ScreenBuffer {
    var buffer = ScreenBuffer(width: state.width, height: state.height)
    guard let layout = state.layout else {
        let message = "terminal too small (need \(Layout.minWidth)×\(Layout.minHeight))"
        buffer.put(
            message, x: max(0, (state.width - message.count) / 2), y: max(0, (state.height - 1) / 2), role: .warn,
            maxWidth: state.width)
        return buffer
    }
    drawHeader(state, into: &buffer)
    drawTabs(state, into: &buffer)
    drawHitRatePanel(state, into: &buffer)
    switch state.view {
    case .keys:
        drawKeysTable(state, layout: layout, into: &buffer)
        if let key = state.inspected {
            drawDetailPane(state, key: key, layout: layout, into: &buffer)
        } else {
            drawEventLog(state.log, into: &buffer, top: layout.logTop, rows: layout.logRows)
        }
    case .routes: drawRoutesView(state, layout: layout, into: &buffer)
    case .top: drawTopView(state, layout: layout, into: &buffer)
    case .latency: drawLatencyView(state, layout: layout, into: &buffer)
    case .expiry: drawExpiryView(state, layout: layout, into: &buffer)
    case .loads: drawLoadsView(state, layout: layout, into: &buffer)
    }
    drawFooter(state, layout: layout, into: &buffer)
    if state.showsHelp { drawHelp(for: state.view, into: &buffer) }
    return buffer
}

private func drawKeysTable(_ state: DashboardState, layout: Layout, into buffer: inout ScreenBuffer) {
    let rows = state.rows
    let columns = KeyColumns(width: buffer.width)
    let filter = state.filter.isEmpty ? "" : " /\(state.filter)"
    let title = "KEY\(filter) (\(rows.count), by \(state.sort.label))"
    buffer.put(columns.header(keyTitle: title), x: 0, y: Layout.tableHeaderY, role: .label)
    if rows.isEmpty {
        let why =
            state.filter.isEmpty
            ? "no cached keys under \(state.config.prefixes.map { $0 + ":*" }.joined(separator: " "))"
            : "no keys match /\(state.filter)"
        buffer.put(why, x: 0, y: layout.tableTop, role: .dim)
    }
    for (offset, key) in rows.dropFirst(state.scrollTop).prefix(layout.tableRows).enumerated() {
        let y = layout.tableTop + offset
        let text = columns.text(of: key, nowMs: state.nowMs)
        buffer.put(text, x: 0, y: y)
        // The highlight goes under the bar, not over it: reversed, a full block would vanish.
        if key.name == state.selectedKey { buffer.paint(.selected, x: 0, y: y, count: buffer.width) }
        let remaining = key.remainingMs(at: state.nowMs)
        if let ttlBar = columns.ttlBar(
            remainingMs: remaining, totalMs: state.keys.ttlTotalMs(of: key, routeTTLms: state.routeTTLms))
        {
            buffer.put(ttlBar, x: text.count, y: y, role: .bar)
        }
    }
}
