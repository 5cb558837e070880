import Foundation
import Yams

extension PlatformFileParser {
    /// `secret_env` or `secret_file`: the platform's HMAC keys (several while one is rotated).
    ///
    /// A disabled platform receives nothing, so an unset `secret_env` variable does not refuse it: it loads without
    /// that key, named in ``PlatformConfig/unsetSecretVariables`` (a notice at start-up). Enabling it needs the secret.
    func readSecrets(_ fields: [String: Node], into config: inout PlatformConfig, directory: String, _ reader: inout YAMLFieldReader) {
        switch (fields["secret_env"], fields["secret_file"]) {
        case (nil, nil):
            reader.add("secret_env", nil, "is required (or secret_file): every platform's webhooks are signed")
        case (.some, .some(let node)):
            reader.add("secret_file", node, "give secret_env or secret_file, not both")
        case (.some(let node), nil):
            let names = reader.stringOrList(node, key: "secret_env")
            config.unsetSecretVariables = config.enabled ? [] : names.filter { self.environment[$0]?.isEmpty ?? true }
            config.secrets = names.compactMap { name in
                guard let value = self.environment[name], !value.isEmpty else {
                    if config.enabled { reader.add("secret_env", node, "environment variable \(name) is not set (or is empty)") }
                    return nil
                }
                return PlatformSecret(bytes: Array(value.utf8), source: "env:\(name)")
            }
        case (nil, .some(let node)):
            let paths = reader.stringOrList(node, key: "secret_file")
            config.secretFiles = paths.map { $0.hasPrefix("/") ? $0 : (directory as NSString).appendingPathComponent($0) }
            config.secrets = zip(paths, config.secretFiles).compactMap { path, full in
                switch Self.readSecretFile(full) {
                case .none:
                    reader.add("secret_file", node, "cannot read \(path) (a regular file of at most \(Self.maxSecretFileBytes) bytes)")
                    return nil
                case .some(let bytes) where bytes.isEmpty:
                    reader.add("secret_file", node, "\(path) is empty")
                    return nil
                case .some(let bytes):
                    return PlatformSecret(bytes: bytes, source: "file:\(path)")
                }
            }
        }
    }

    /// A secret file's bytes without trailing line ends (empty when that is all it holds); `nil` when it cannot be read.
    public static func readSecretFile(_ path: String) -> [UInt8]? {
        guard case .success(var bytes) = BoundedFile.read(path, limit: Self.maxSecretFileBytes) else { return nil }
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        return bytes
    }
}
