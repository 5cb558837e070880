/// A setting given a value it cannot take: which setting, and what a valid value looks like.
public struct SettingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The flag and environment variable, as in `--port (HOOKBAY_PORT)`.
    public var setting: String
    /// What is wrong with the value.
    public var problem: String

    public init(setting: String, problem: String) {
        self.setting = setting
        self.problem = problem
    }

    public var description: String { "\(self.setting) \(self.problem)" }
}
