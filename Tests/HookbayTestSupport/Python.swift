/// The machine's `python3`, for checks against independent implementations (reference libraries from PyPI).
public enum Python {
    /// Whether `python3` can import `module` (installed with `pip install`; CI installs what the tests use).
    public static func hasModule(_ module: String) -> Bool {
        guard let check = try? ChildProcess.spawn("python3", ["-c", "import \(module)"], stdout: .discard, stderr: .discard) else {
            return false
        }
        check.waitUntilExit()
        return check.terminationStatus == 0
    }
}
