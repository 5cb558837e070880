import Foundation
import Yams

extension PlatformFileParser {
    /// `secret_env` or `secret_file`: the platform's HMAC keys (several while one is rotated).
    ///
    /// A disabled platform receives nothing, so an unset `secret_env` variable does not refuse it: it loads without
    /// that key, named in ``PlatformConfig/unsetSecretVariables`` (a notice at start-up). Enabling it needs the secret.
    func readSecrets(_ fields: [String: Node], into config: inout PlatformConfig, directory: String, _ reader: inout YAMLFieldReader) {
        config.secrets = self.secrets(
            fields, enabled: config.enabled, directory: directory, files: &config.secretFiles,
            unset: &config.unsetSecretVariables, &reader)
    }

    private func secrets(
        _ fields: [String: Node], enabled: Bool, directory: String, files: inout [String], unset: inout [String],
        _ reader: inout YAMLFieldReader
    ) -> [PlatformSecret] {
        switch (fields["secret_env"], fields["secret_file"]) {
        case (nil, nil):
            reader.add("secret_env", nil, "is required (or secret_file): every platform's webhooks are signed")
            return []
        case (.some, .some(let node)):
            reader.add("secret_file", node, "give secret_env or secret_file, not both")
            return []
        case (.some(let node), nil):
            return reader.stringOrList(node, key: "secret_env").compactMap { name in
                guard let value = self.environment[name], !value.isEmpty else {
                    if !enabled {
                        unset.append(name)
                        return nil
                    }
                    reader.add("secret_env", node, "environment variable \(name) is not set (or is empty)")
                    return nil
                }
                return PlatformSecret(bytes: Array(value.utf8), source: "env:\(name)")
            }
        case (nil, .some(let node)):
            return reader.stringOrList(node, key: "secret_file").compactMap { path in
                let full = path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
                files.append(full)
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
