import Foundation

/// Turns a platform on or off in its own file (`POST /api/v1/admin/platforms/{platform}/enabled`): the file's
/// `enabled:` line is rewritten (or added) by ``EnabledLineEdit``, every other byte kept, the file replaced atomically
/// (a symbolic link's target, in place), and the directory reloaded at once.
///
/// One change to the directory at a time (``ConfigDirectoryLock``). When the switched file does not load (a platform
/// enabled without its secret set, say), the file is put back as it was and the answer says why.
public struct PlatformSwitch: Sendable {
    /// What a switch did.
    public struct Outcome: Sendable, Equatable {
        public var platform: String
        public var enabled: Bool
        public var sourceFile: String
        /// False when the file already said so.
        public var changed: Bool
    }

    public let directory: String
    public let registry: PlatformRegistry
    public let reloader: ConfigReloader

    public init(directory: String, registry: PlatformRegistry, reloader: ConfigReloader) {
        self.directory = directory
        self.registry = registry
        self.reloader = reloader
    }

    /// Sets `enabled` in `platform`'s file and reloads; the platform serves (or refuses) accordingly when this returns.
    public func set(_ platform: String, enabled: Bool) throws(WebhookError) -> Outcome {
        guard let served = self.registry.platform(platform) else { throw .unsupportedPlatform(platform) }
        let file = served.config.sourceFile
        return try ConfigDirectoryLock.withLock(self.directory) { () throws(WebhookError) in
            try self.setLocked(platform, file: file, enabled: enabled)
        }
    }

    private func setLocked(_ platform: String, file: String, enabled: Bool) throws(WebhookError) -> Outcome {
        let path = (self.directory as NSString).appendingPathComponent(file)
        // A symbolic link (a Kubernetes ConfigMap's) stays one: its target is what is rewritten.
        let target = (path as NSString).resolvingSymlinksInPath
        guard case .success(let bytes) = BoundedFile.read(target, limit: PlatformFileParser.maxFileBytes),
            let text = String(validating: bytes, as: UTF8.self)
        else {
            throw WebhookError(.conflict, .conflict, "cannot read \(file) to switch platform \(platform)")
        }
        let edited: String?
        do {
            edited = try EnabledLineEdit.apply(enabled, to: text, file: file)
        } catch {
            throw WebhookError(.conflict, .conflict, error.description)
        }
        guard let edited else {
            // The file says so already; the registry may not have caught up with it yet.
            _ = self.reloader.reload(force: true)
            return Outcome(platform: platform, enabled: enabled, sourceFile: file, changed: false)
        }
        var status = stat()
        let mode = stat(target, &status) == 0 ? status.st_mode & 0o7777 : 0o644
        do {
            try AtomicFile.replace(target, with: Array(edited.utf8), mode: mode)
            try AtomicFile.syncDirectory((target as NSString).deletingLastPathComponent)
        } catch {
            throw WebhookError(.internalServerError, .internalError, "cannot write \(file): \(error)")
        }
        let report = self.reloader.reload(force: true)
        guard self.registry.platform(platform)?.config.enabled == enabled else {
            // Put the file back as it was: the platform keeps serving as before.
            try? AtomicFile.replace(target, with: bytes, mode: mode)
            _ = self.reloader.reload(force: true)
            let reasons = report.problems.filter { $0.file == file }.map(\.description)
            throw WebhookError(
                .conflict, .conflict,
                "\(file) with enabled: \(enabled) does not load, so it was left as it was"
                    + (reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; ")))
        }
        return Outcome(platform: platform, enabled: enabled, sourceFile: file, changed: true)
    }
}
