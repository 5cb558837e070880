import Foundation

/// The platform files of a config directory, parsed: the platforms that loaded and every problem with the ones that
/// did not. Plugins are not bound here (``PlatformLoader`` does that).
public struct PlatformDirectory: Sendable {
    /// Platforms that loaded, by id.
    public var platforms: [String: PlatformConfig]
    /// Every refusal, each naming its file and key.
    public var problems: [ConfigProblem]

    /// Reads every `*.yaml` / `*.yml` file in `path` (not hidden ones, not subdirectories). Throws only when the
    /// directory itself cannot be read; a file that cannot be read or parsed is one more problem.
    public static func read(_ path: String, parser: PlatformFileParser) throws(ConfigProblem) -> PlatformDirectory {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw ConfigProblem(file: path, message: "cannot read the config directory: \(error.localizedDescription)")
        }
        var directory = PlatformDirectory(platforms: [:], problems: [])
        for name in names.sorted() where !name.hasPrefix(".") && (name.hasSuffix(".yaml") || name.hasSuffix(".yml")) {
            let file = (path as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let text: String
            switch BoundedFile.read(file, limit: PlatformFileParser.maxFileBytes) {
            case .success(let bytes):
                guard let decoded = String(validating: bytes, as: UTF8.self) else {
                    directory.problems.append(ConfigProblem(file: name, message: "cannot read the file: it is not UTF-8 text"))
                    continue
                }
                text = decoded
            case .failure(.tooLarge):
                directory.problems.append(
                    ConfigProblem(
                        file: name, message: "the file is larger than \(PlatformFileParser.maxFileBytes) bytes, the limit for platform files"
                    ))
                continue
            case .failure(.unreadable):
                directory.problems.append(ConfigProblem(file: name, message: "cannot read the file (platform files must be regular files)"))
                continue
            }
            do {
                let platform = try parser.parse(yaml: text, file: name, directory: path)
                if let existing = directory.platforms[platform.id] {
                    let placeholder = existing.unsetSecretVariables.isEmpty ? "" : " (disabled there, with its secret unset)"
                    directory.problems.append(
                        ConfigProblem(
                            file: name, key: "platform",
                            message: "platform id '\(platform.id)' is already defined in \(existing.sourceFile)\(placeholder)"
                        ))
                    continue
                }
                directory.platforms[platform.id] = platform
            } catch {
                directory.problems.append(contentsOf: error.problems)
            }
        }
        return directory
    }
}
