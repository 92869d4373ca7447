import Foundation

/// Where tests put their files (databases, logs, captured output): one folder per test process.
/// Folders left by earlier runs whose process has ended are removed on first use, so repeated
/// runs do not fill the temporary directory.
public enum Scratch {
    public static let directory: URL = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cachescope-tests")
        let mine = root.appendingPathComponent(String(getpid()))
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [] {
            if let pid = pid_t(name), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(at: root.appendingPathComponent(name))
            }
        }
        try? FileManager.default.createDirectory(at: mine, withIntermediateDirectories: true)
        return mine
    }()

    /// A path in this run's folder.
    public static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}
