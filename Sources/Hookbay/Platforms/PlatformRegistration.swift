import Foundation
import HookbayJSON
import Synchronization

/// Registers a platform (the seed's `POST /api/v1/webhooks/register`): writes its secret to a file only the owner can
/// read and its YAML file, each atomically (temporary file, then rename, then the directory synced), then reloads so
/// it is live at once.
///
/// One change to the config directory at a time (``ConfigDirectory``). Refused with 409 when any file it would write exists (`<id>.yaml`,
/// `<id>.yml`, `<id>.secret`) or another platform's `secret_file` names its secret file. Values are written quoted, so
/// that an id such as `null` or `123` stays a string. Files written for a registration that does not load are removed.
public struct PlatformRegistration: Sendable {
    /// A validated registration request.
    public struct Request: Sendable, Equatable {
        public var platform: String
        public var url: String
        public var eventTypes: [String]
        public var secret: String

        /// Reads and checks `{"platform", "url", "event_types", "secret"}`; the error names the bad field.
        public init(json: JSONValue) throws(WebhookError) {
            guard case .object(let members) = json else {
                throw .invalidPayload(#"body must be {"platform", "url", "event_types", "secret"}"#)
            }
            let known: Set<String> = ["platform", "url", "event_types", "secret"]
            if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
                throw .invalidPayload("field '\(unknown)' is not known; give platform, url, event_types and secret")
            }
            guard case .string(let platform)? = members["platform"] else { throw .invalidPayload("field 'platform' must be a string") }
            guard PlatformFileParser.isValidID(platform) else {
                throw .invalidPayload("field 'platform': '\(platform)' is not a valid id (1 to 64 of a-z, 0-9, '_' and '-')")
            }
            guard !PlatformFileParser.reservedIDs.contains(platform) else {
                throw .invalidPayload("field 'platform': '\(platform)' is reserved for Hookbay's own routes")
            }
            guard case .string(let url)? = members["url"] else { throw .invalidPayload("field 'url' must be a string") }
            if let problem = PlatformFileParser.urlProblem(url) { throw .invalidPayload("field 'url' \(problem)") }
            guard case .array(let items)? = members["event_types"], !items.isEmpty else {
                throw .invalidPayload("field 'event_types' must be a non-empty list")
            }
            var eventTypes: [String] = []
            for item in items {
                guard case .string(let name) = item, CanonicalEventType(rawValue: name) != nil else {
                    throw .invalidPayload("field 'event_types': each must be one of content_added, content_updated, content_removed")
                }
                if !eventTypes.contains(name) { eventTypes.append(name) }
            }
            guard case .string(let secret)? = members["secret"] else { throw .invalidPayload("field 'secret' must be a string") }
            guard (16...4096).contains(secret.unicodeScalars.count) else {
                throw .invalidPayload("field 'secret' must be 16 to 4096 characters long")
            }
            // Bytes, not Characters: "\r\n" is one Character, which contains neither "\r" nor "\n".
            guard !secret.utf8.contains(UInt8(ascii: "\n")), !secret.utf8.contains(UInt8(ascii: "\r")) else {
                throw .invalidPayload("field 'secret' must be one line")
            }
            self.platform = platform
            self.url = url
            self.eventTypes = eventTypes
            self.secret = secret
        }
    }

    public let directory: ConfigDirectory

    public init(directory: ConfigDirectory) {
        self.directory = directory
    }

    /// Writes the files and reloads; the platform is served when this returns.
    public func register(_ request: Request) throws(WebhookError) {
        try self.directory.change { () throws(WebhookError) in try self.registerLocked(request) }
    }

    private func registerLocked(_ request: Request) throws(WebhookError) {
        let path = { (name: String) in self.directory.path(name) }
        let registry = self.directory.registry
        let yamlPath = path("\(request.platform).yaml")
        let secretName = "\(request.platform).secret"
        let secretPath = path(secretName)
        if registry.platform(request.platform) != nil {
            throw WebhookError(.conflict, .conflict, "platform '\(request.platform)' already exists")
        }
        for name in ["\(request.platform).yaml", "\(request.platform).yml", secretName] where FileManager.default.fileExists(atPath: path(name)) {
            throw WebhookError(
                .conflict, .conflict, "platform '\(request.platform)' cannot be registered: \(name) already exists in the config directory")
        }
        let canonicalSecret = (secretPath as NSString).standardizingPath
        if let owner = registry.all.first(where: { $0.config.secretFiles.contains { ($0 as NSString).standardizingPath == canonicalSecret } }) {
            throw WebhookError(.conflict, .conflict, "platform '\(request.platform)' cannot be registered: platform '\(owner.id)' uses \(secretName)")
        }
        let yaml = """
            # Registered through POST /api/v1/webhooks/register.
            platform: \(Self.quoted(request.platform))
            url: \(Self.quoted(request.url))
            secret_file: \(Self.quoted(secretName))
            subscribe: [\(request.eventTypes.map(Self.quoted).joined(separator: ", "))]

            """
        do {
            try self.directory.write(secretPath, Array((request.secret + "\n").utf8), mode: 0o600)
            try self.directory.write(yamlPath, Array(yaml.utf8), mode: 0o644)
        } catch {
            unlink(yamlPath)
            unlink(secretPath)
            throw WebhookError(.internalServerError, .internalError, "cannot write the platform's files in the config directory")
        }
        let report = self.directory.reload()
        guard registry.platform(request.platform) != nil else {
            unlink(yamlPath)
            unlink(secretPath)
            self.directory.reload()
            let reason = report.problems.filter { $0.file == "\(request.platform).yaml" }.map(\.description).joined(separator: "; ")
            throw WebhookError(.internalServerError, .internalError, "the registered platform did not load: \(reason)")
        }
    }

    /// A YAML double-quoted scalar: always a string, whatever the text (`null`, `123`, `true`).
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
