import Foundation
import Yams

/// Parses one platform file (`platforms.d/*.yaml`) into a ``PlatformConfig``.
///
/// Strict on purpose: an unknown key, a value of the wrong type, a reserved or duplicate id, or a secret that cannot
/// be read refuses the whole file with a message naming the file and the key, so a typo never silently falls back
/// to a default. Each part of the file is read by its own extension (`+Signature`, `+Envelope`, `+Limits`, `+Events`,
/// `+Secrets`, `+Destinations`); what a file leaves out keeps ``PlatformConfig``'s default.
public struct PlatformFileParser: Sendable {
    /// Ids that would collide with Hookbay's own routes.
    public static let reservedIDs: Set<String> = [
        "register", "metrics", "stats", "admin", "dlq", "health", "healthz", "readyz", "content", "api", "webhooks",
    ]

    static let topLevelKeys: Set<String> = [
        "platform", "enabled", "adapter", "adapter_config", "plugin_path", "secret_env", "secret_file", "signature", "rate_limit",
        "dedup_ttl_hours", "required_fields", "event_types", "retry", "envelope", "subscribe", "url", "processing", "destinations",
        "allow_ips", "handshake", "handshake_token_env", "body_format", "form_field", "content_encoding",
    ]

    /// Environment variables, for `secret_env`.
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// Parses one platform file. Throws every problem found in it at once.
    /// - Parameters:
    ///   - yaml: the file's text.
    ///   - file: its name, for messages.
    ///   - directory: where relative `secret_file` and `plugin_path` paths start.
    public func parse(yaml: String, file: String, directory: String = ".") throws(PlatformFileError) -> PlatformConfig {
        let mapping = try Self.compose(yaml, file: file)
        var reader = YAMLFieldReader(file: file)
        let fields = reader.fields(of: mapping, allowed: Self.topLevelKeys, path: nil)
        var config = self.readIdentity(fields, file: file, directory: directory, &reader)
        self.readSecrets(fields, into: &config, directory: directory, &reader)
        self.readSignature(fields, into: &config, &reader)
        self.readEnvelope(fields, into: &config, &reader)
        self.readLimits(fields, into: &config, &reader)
        self.readEvents(fields, into: &config, &reader)
        self.readDestinations(fields, into: &config, directory: directory, &reader)
        if !reader.isEmpty { throw PlatformFileError(reader.problems) }
        return config
    }

    /// The file's top-level mapping, once its text and its composed shape are within bounds.
    static func compose(_ yaml: String, file: String) throws(PlatformFileError) -> Node.Mapping {
        if let problem = Self.sizeProblem(yaml) {
            throw PlatformFileError([ConfigProblem(file: file, message: problem)])
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw PlatformFileError([ConfigProblem(file: file, message: "not valid YAML: \(error)")])
        }
        if let root, let problem = Self.shapeProblem(root) {
            throw PlatformFileError([ConfigProblem(file: file, message: problem)])
        }
        guard let root, case .mapping(let mapping) = root else {
            throw PlatformFileError([ConfigProblem(file: file, message: "must be a YAML mapping of keys such as platform, secret_env, rate_limit")])
        }
        return mapping
    }

    /// `platform`, `enabled`, `processing`, `adapter`, `plugin_path`, `adapter_config` and `url`.
    func readIdentity(_ fields: [String: Node], file: String, directory: String, _ reader: inout YAMLFieldReader) -> PlatformConfig {
        var id = ""
        if let node = fields["platform"] {
            if let value = reader.string(node, key: "platform") {
                if !Self.isValidID(value) {
                    reader.add("platform", node, "'\(value)' is not a valid id: use 1 to 64 of a-z, 0-9, '_' and '-'")
                } else if Self.reservedIDs.contains(value) {
                    reader.add("platform", node, "'\(value)' is reserved for Hookbay's own routes; choose another id")
                } else {
                    id = value
                }
            }
        } else {
            reader.add("platform", nil, "is required: the platform id used in /api/v1/webhooks/{platform}")
        }

        var config = PlatformConfig(id: id, secrets: [], sourceFile: file)

        if let node = fields["enabled"], let value = reader.bool(node, key: "enabled") { config.enabled = value }
        if let node = fields["processing"], let value = reader.choice(node, key: "processing", of: PlatformConfig.Processing.self) {
            config.processing = value
        }
        if let node = fields["adapter"], let value = reader.string(node, key: "adapter") {
            if Self.isValidID(value) {
                config.adapter = value
            } else {
                reader.add("adapter", node, "'\(value)' is not a valid adapter name: use 1 to 64 of a-z, 0-9, '_' and '-'")
            }
        }
        if let node = fields["plugin_path"], let value = reader.string(node, key: "plugin_path") {
            config.pluginPath = value.hasPrefix("/") ? value : (directory as NSString).appendingPathComponent(value)
        }
        if let node = fields["adapter_config"] {
            if case .mapping = node {
                config.adapterConfig = Self.json(from: node)
            } else {
                reader.add("adapter_config", node, "must be a mapping")
            }
        }
        if let node = fields["url"], let value = reader.string(node, key: "url") {
            if let reason = Self.urlProblem(value) { reader.add("url", node, reason) } else { config.url = value }
        }
        return config
    }
}
