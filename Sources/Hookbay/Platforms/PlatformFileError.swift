/// Every problem of one platform file, thrown together by ``PlatformFileParser/parse(yaml:file:directory:)``.
public struct PlatformFileError: Error, Sendable {
    /// The problems, in the order they were found.
    public var problems: [ConfigProblem]

    public init(_ problems: [ConfigProblem]) { self.problems = problems }
}
