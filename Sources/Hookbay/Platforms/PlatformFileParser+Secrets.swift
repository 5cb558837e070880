import Foundation
import Yams

extension PlatformFileParser {
    /// `secret_env` or `secret_file`: the platform's HMAC keys (several while one is rotated).
    ///
    /// A disabled platform receives nothing, so an unset `secret_env` variable does not refuse it: it loads without
    /// that key, named in ``PlatformConfig/unsetSecretVariables`` (a notice at start-up). Enabling it needs the secret.
    func readSecrets(_ fields: [String: Node], into config: inout PlatformConfig, directory: String, _ reader: inout YAMLFieldReader) {
        guard fields["secret_env"] != nil || fields["secret_file"] != nil else {
            reader.add("secret_env", nil, "is required (or secret_file): every platform's webhooks are signed")
            return
        }
        let read = self.readSecretSources(
            env: fields["secret_env"], file: fields["secret_file"], path: nil, directory: directory, tolerateUnset: !config.enabled, &reader)
        config.secrets = read.secrets
        config.unsetSecretVariables = read.unsetVariables
        config.secretFiles = read.files
    }

    /// What a `secret_env` (environment variable names) or `secret_file` (paths, relative to `directory`) at `path`
    /// (`nil`: the top level) holds: the secrets, the unset variables (problems unless `tolerateUnset`), and the files'
    /// full paths. Giving both is a problem; giving neither, no secret.
    func readSecretSources(
        env: Node?, file: Node?, path: String?, directory: String, tolerateUnset: Bool, _ reader: inout YAMLFieldReader
    ) -> (secrets: [PlatformSecret], unsetVariables: [String], files: [String]) {
        let envKey = path.map { "\($0).secret_env" } ?? "secret_env"
        let fileKey = path.map { "\($0).secret_file" } ?? "secret_file"
        switch (env, file) {
        case (nil, nil):
            return ([], [], [])
        case (.some, .some(let node)):
            reader.add(fileKey, node, "give secret_env or secret_file, not both")
            return ([], [], [])
        case (.some(let node), nil):
            let names = reader.stringOrList(node, key: envKey)
            let unset = names.filter { self.environment[$0]?.isEmpty ?? true }
            let secrets = names.compactMap { name -> PlatformSecret? in
                guard let value = self.environment[name], !value.isEmpty else {
                    if !tolerateUnset { reader.add(envKey, node, "environment variable \(name) is not set (or is empty)") }
                    return nil
                }
                return PlatformSecret(bytes: Array(value.utf8), source: "env:\(name)")
            }
            return (secrets, tolerateUnset ? unset : [], [])
        case (nil, .some(let node)):
            let paths = reader.stringOrList(node, key: fileKey)
            let files = paths.map { $0.hasPrefix("/") ? $0 : (directory as NSString).appendingPathComponent($0) }
            let secrets = zip(paths, files).compactMap { path, full -> PlatformSecret? in
                switch Self.readSecretFile(full) {
                case .none:
                    reader.add(fileKey, node, "cannot read \(path) (a regular file of at most \(Self.maxSecretFileBytes) bytes)")
                    return nil
                case .some(let bytes) where bytes.isEmpty:
                    reader.add(fileKey, node, "\(path) is empty")
                    return nil
                case .some(let bytes):
                    return PlatformSecret(bytes: bytes, source: "file:\(path)")
                }
            }
            return (secrets, [], files)
        }
    }

    /// A secret file's bytes without trailing line ends (empty when that is all it holds); `nil` when it cannot be read.
    public static func readSecretFile(_ path: String) -> [UInt8]? {
        guard case .success(var bytes) = BoundedFile.read(path, limit: Self.maxSecretFileBytes) else { return nil }
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        return bytes
    }
}
