import CacheCore
import Foundation

/// The refresh intervals `+` and `-` step through.
let refreshSteps = [250, 500, 1000, 2000, 5000]

/// Applies one input and returns the work the shell must do. Never performs I/O itself.
public func update(_ state: inout DashboardState, _ input: DashboardInput) -> [Effect] {
    var effects: [Effect] = []
    switch input {
    case .key(let key):
        effects = handleKey(&state, key)
    case .tick(let nowMs):
        guard !state.isPaused else { break }
        state.nowMs = nowMs
        state.keys.expire(nowMs: nowMs)
    case .resize(let width, let height):
        state.width = width
        state.height = height
    case .poll(let poll):
        state.redisDownReason = nil
        if !state.isPaused { state.ingest(poll) }
    case .redisDown(let reason):
        state.redisDownReason = reason
    case .actionFinished(let text):
        state.status = text
    case .patternCount(let pattern, let count):
        guard state.prompt == .counting(pattern) else { break }
        if let count {
            state.prompt = .confirm(pattern: pattern, count: count)
        } else {
            state.prompt = nil
            state.status = "could not count keys matching \(pattern): Redis unreachable; nothing was deleted"
        }
    case .loadStatus(let summary):
        state.loadStatus = summary
    }
    state.reconcileSelection(state.rows)
    return effects
}

private func handleKey(_ state: inout DashboardState, _ key: KeyPress) -> [Effect] {
    if state.showsHelp {
        state.showsHelp = false
        return []
    }
    if let prompt = state.prompt { return handlePromptKey(&state, prompt, key) }
    switch key {
    case .char(let digit) where DashboardView(digit: digit) != nil: state.view = DashboardView(digit: digit) ?? state.view
    case .click(let x, Layout.tabsY):
        if let view = tabAt(x: x) { state.view = view }
    case .tab: state.view = state.view.cycled(forward: true)
    case .backTab: state.view = state.view.cycled(forward: false)
    case .char("p"): state.isPaused.toggle()
    case .char(":"): state.prompt = .query(state.queryText, error: nil)
    case .char(let character) where state.config.readOnly && "LOiIwW".contains(character):
        state.status = "read-only (--readonly): this dashboard changes nothing"
    case .char("L"): return [.toggleLoad]
    case .char("O"):
        state.failsOrigin.toggle()
        state.status = state.failsOrigin ? "making store reads fail…" : "letting store reads succeed again…"
        return [.failOrigin(state.failsOrigin)]
    case .char("+"): return stepRefresh(&state, to: refreshSteps.first { $0 > state.refreshMs })
    case .char("-"): return stepRefresh(&state, to: refreshSteps.last { $0 < state.refreshMs })
    case .char("?"): state.showsHelp = true
    case .char("q"): return [.quit]
    case .char("e") where state.view == .top: state.topKind = state.topKind.next
    case .char("r") where state.view == .latency:
        let routes = state.routeHistory.keys.sorted()
        let next = state.latencyRoute.flatMap { routes.firstIndex(of: $0) }.map { $0 + 1 } ?? 0
        state.latencyRoute = next < routes.count ? routes[next] : nil
    default: return state.view == .keys ? handleKeysViewKey(&state, key) : []
    }
    return []
}

/// The Keys view's own keys: moving the selection, invalidating, warming, filtering, sorting.
private func handleKeysViewKey(_ state: inout DashboardState, _ key: KeyPress) -> [Effect] {
    let page = state.layout?.tableRows ?? 1
    switch key {
    case .click(_, let y):
        guard let layout = state.layout, y >= layout.tableTop, y < layout.tableTop + layout.tableRows else { break }
        let index = state.scrollTop + y - layout.tableTop
        if index < state.rows.count { state.select(index: index) }
    case .wheelUp: state.select(index: state.selectedIndex - 3)
    case .wheelDown: state.select(index: state.selectedIndex + 3)
    case .up, .char("k"): state.select(index: state.selectedIndex - 1)
    case .down, .char("j"): state.select(index: state.selectedIndex + 1)
    case .pageUp: state.select(index: state.selectedIndex - page)
    case .pageDown: state.select(index: state.selectedIndex + page)
    case .home: state.select(index: 0)
    case .end: state.select(index: state.rows.count - 1)
    case .char("i"):
        guard let selected = state.selectedKey else { break }
        state.keys.remove(matching: Glob.escape(selected), atMs: state.nowMs)
        state.status = "invalidating \(selected)…"
        return [.invalidate(key: selected)]
    case .char("I"): state.prompt = .pattern("")
    case .char("w"):
        guard let selected = state.selectedKey else { break }
        state.status = "warming \(selected)…"
        return [.warm(key: selected)]
    case .char("W"):
        state.status = "warming all known requests…"
        return [.warmAll]
    case .char("/"): state.prompt = .filter(state.filter)
    case .enter:
        guard let selected = state.selectedKey else { break }
        state.inspected = selected
        state.inspection = nil
    case .escape where state.inspected != nil:
        state.inspected = nil
        state.inspection = nil
    case .escape: state.filter = ""
    case .char("s"): state.sort = state.sort.next
    default: break
    }
    return []
}

/// Puts a typed query in force (empty: none), starting the log, Top and Latency afresh; a query
/// that does not parse keeps the prompt open with the error, and the old query in force.
private func applyQuery(_ state: inout DashboardState, _ text: String) {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    let query: EventQuery?
    if trimmed.isEmpty {
        query = nil
    } else {
        do throws(EventQuery.SyntaxError) {
            query = try EventQuery(parsing: trimmed)
        } catch {
            state.prompt = .query(text, error: error)
            return
        }
    }
    state.query = query
    state.queryText = query == nil ? "" : trimmed
    state.log = EventLog()
    state.top = TopList()
    state.recentLatencies = RecentLatencies()
    state.prompt = nil
    state.status = query == nil ? "query cleared" : "query: \(trimmed)"
}

private func handlePromptKey(_ state: inout DashboardState, _ prompt: Prompt, _ key: KeyPress) -> [Effect] {
    switch (prompt, key) {
    case (_, .escape):
        switch prompt {
        case .filter: state.filter = ""
        case .counting, .confirm: state.status = "invalidation cancelled"
        case .pattern, .query: break  // a query's Esc keeps the one in force
        }
        state.prompt = nil
    case (.query(let text, _), .enter):
        applyQuery(&state, text)
    case (.query(let text, _), _):
        state.prompt = .query(edited(text, key), error: nil)
    case (.filter(let text), .enter):
        state.filter = text
        state.prompt = nil
    case (.filter(let text), _):
        state.prompt = .filter(edited(text, key))
    case (.pattern(let text), .enter):
        guard !text.isEmpty else {
            state.prompt = nil
            return []
        }
        guard Glob.isConfined(text, to: state.config.prefixes) else {
            state.prompt = nil
            state.status =
                "not invalidated: the pattern must start with " + state.config.prefixes.map { "\($0):" }.joined(separator: " or ")
            return []
        }
        state.prompt = .counting(text)
        return [.countPattern(text)]
    case (.pattern(let text), _):
        state.prompt = .pattern(edited(text, key))
    case (.confirm(let pattern, _), .char("y")):
        state.prompt = nil
        state.keys.remove(matching: pattern, atMs: state.nowMs)
        state.status = "invalidating \(pattern)…"
        return [.invalidatePattern(pattern)]
    case (.confirm, .char("n")):
        state.prompt = nil
        state.status = "invalidation cancelled"
    default:
        break
    }
    return []
}

/// Prompt text after a key: characters append, backspace deletes, anything else leaves it.
private func edited(_ text: String, _ key: KeyPress) -> String {
    switch key {
    case .char(let character): text + String(character)
    case .backspace: String(text.dropLast())
    default: text
    }
}

private func stepRefresh(_ state: inout DashboardState, to interval: Int?) -> [Effect] {
    guard let interval else { return [] }
    state.refreshMs = interval
    return [.setRefreshInterval(ms: interval)]
}
