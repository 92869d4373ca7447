import ArgumentParser

/// `cachescope` / `cachescope run`: the server on background threads and the dashboard in front.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the product API and the live dashboard in this terminal (default).")

    @OptionGroup var options: ServerOptions

    func run() async throws {
        throw Failure(description: "the dashboard is not built yet; use `cachescope serve`")
    }
}

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Attach the dashboard to servers that share a Redis.")
    func run() async throws { throw Failure(description: "not built yet") }
}

