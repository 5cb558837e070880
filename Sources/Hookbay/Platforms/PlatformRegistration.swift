import Foundation
import HookbayJSON

/// Registers a platform (the seed's `POST /api/v1/webhooks/register`): writes its secret to a file only the owner can
/// read and its YAML file, each atomically (temporary file, then rename), then reloads so it is live at once.
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
            guard PlatformConfigLoader.isValidID(platform) else {
                throw .invalidPayload("field 'platform': '\(platform)' is not a valid id (1 to 64 of a-z, 0-9, '_' and '-')")
            }
            guard !PlatformConfigLoader.reservedIDs.contains(platform) else {
                throw .invalidPayload("field 'platform': '\(platform)' is reserved for Hookbay's own routes")
            }
            guard case .string(let url)? = members["url"] else { throw .invalidPayload("field 'url' must be a string") }
            if let problem = PlatformConfigLoader.urlProblem(url) { throw .invalidPayload("field 'url' \(problem)") }
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

    public let directory: String
    public let registry: PlatformRegistry
    public let reloader: ConfigReloader

    public init(directory: String, registry: PlatformRegistry, reloader: ConfigReloader) {
        self.directory = directory
        self.registry = registry
        self.reloader = reloader
    }

    /// Writes the files and reloads; the platform is served when this returns.
    public func register(_ request: Request) throws(WebhookError) {
        let yamlPath = (directory as NSString).appendingPathComponent("\(request.platform).yaml")
        let secretName = "\(request.platform).secret"
        let secretPath = (directory as NSString).appendingPathComponent(secretName)
        if self.registry.platform(request.platform) != nil || FileManager.default.fileExists(atPath: yamlPath) {
            throw WebhookError(.conflict, .conflict, "platform '\(request.platform)' already exists")
        }
        let yaml = """
            # Registered through POST /api/v1/webhooks/register.
            platform: \(request.platform)
            url: "\(request.url.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))"
            secret_file: \(secretName)
            subscribe: [\(request.eventTypes.joined(separator: ", "))]

            """
        do {
            try Self.writeAtomically(Array((request.secret + "\n").utf8), to: secretPath, mode: 0o600)
            try Self.writeAtomically(Array(yaml.utf8), to: yamlPath, mode: 0o644)
        } catch {
            throw WebhookError(.internalServerError, .internalError, "cannot write the platform's files in the config directory")
        }
        let report = self.reloader.reload(force: true)
        guard self.registry.platform(request.platform) != nil else {
            let reason = report.problems.filter { $0.file == "\(request.platform).yaml" }.map(\.description).joined(separator: "; ")
            throw WebhookError(.internalServerError, .internalError, "the registered platform did not load: \(reason)")
        }
    }

    /// Writes `bytes` to a temporary file with `mode`, flushes it, and renames it over `path`.
    static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t) throws {
        let temporary = path + ".tmp-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            guard n > 0 else {
                close(fd)
                unlink(temporary)
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            written += n
        }
        fsync(fd)
        close(fd)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }
}
