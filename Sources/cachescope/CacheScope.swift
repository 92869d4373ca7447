import ArgumentParser
import CacheScopeKit
import Foundation

@main
struct CacheScope: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cachescope",
        abstract: "A product API cached in Redis, and a live terminal dashboard of what that cache does.",
        subcommands: [Run.self, Serve.self, Watch.self, Stat.self, Replay.self, Load.self],
        defaultSubcommand: Run.self)

    /// Usage errors exit with code 2 and one line naming the flag, instead of ArgumentParser's 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as UsageError {
            FileHandle.standardError.write(Data("cachescope: \(error.message)\n".utf8))
            Foundation.exit(2)
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("cachescope: \(error)\n".utf8))
            Foundation.exit(2)
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data("cachescope: \(oneLine(message(for: error))) (see --help)\n".utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// ArgumentParser lists the accepted values of an option one per line; an error here is one line.
func oneLine(_ message: String) -> String {
    message.replacingOccurrences(of: ":\n  - ", with: ": ").replacingOccurrences(of: "\n  - ", with: ", ")
        .replacingOccurrences(of: "\n", with: " ")
}

/// A bad flag value, found after parsing (for example an unusable Redis URL): exit 2.
struct UsageError: Error {
    let message: String
}
