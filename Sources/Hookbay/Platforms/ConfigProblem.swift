/// One reason a platform file was refused: which file, which key, and what is wrong.
public struct ConfigProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file's name (or path).
    public var file: String
    /// The dotted key the problem is about (`rate_limit.per_minute`), when there is one.
    public var key: String?
    /// 1-based line in the file, when known.
    public var line: Int?
    /// What is wrong, as a sentence.
    public var message: String

    public init(file: String, key: String? = nil, line: Int? = nil, message: String) {
        self.file = file
        self.key = key
        self.line = line
        self.message = message
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let key { text += "\(key): " }
        return text + message
    }
}
