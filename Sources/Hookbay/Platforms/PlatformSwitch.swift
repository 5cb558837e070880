import Foundation

/// Turns a platform on or off in its own file (`POST /api/v1/admin/platforms/{platform}/enabled`): the file's
/// `enabled:` line is rewritten (or added) by ``EnabledLineEdit``, every other byte kept, the file replaced atomically
/// by a new one with the same mode and (when the process may) owner (through a symbolic link, its target is
/// replaced), and the directory reloaded at once.
///
/// One change to the directory at a time (``ConfigDirectory``). When the switched file does not load (a platform
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

    public let directory: ConfigDirectory

    public init(directory: ConfigDirectory) {
        self.directory = directory
    }

    /// Sets `enabled` in `platform`'s file and reloads; the platform serves (or refuses) accordingly when this returns.
    public func set(_ platform: String, enabled: Bool) throws(WebhookError) -> Outcome {
        guard let served = self.directory.registry.platform(platform) else { throw .unsupportedPlatform(platform) }
        let file = served.config.sourceFile
        return try self.directory.change { () throws(WebhookError) in
            try self.setLocked(platform, file: file, enabled: enabled)
        }
    }

    private func setLocked(_ platform: String, file: String, enabled: Bool) throws(WebhookError) -> Outcome {
        let path = self.directory.path(file)
        // A symbolic link (a Kubernetes ConfigMap's) stays one: its target is what is replaced.
        guard let resolved = realpath(path, nil) else {
            throw WebhookError(.conflict, .conflict, "cannot find \(file) to switch platform \(platform)")
        }
        let target = String(cString: resolved)
        free(resolved)
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
            // The file says so already; the registry may not have caught up with it yet, or the file may not load (its
            // previous version then serves, in the other state).
            let report = self.directory.reload()
            guard self.directory.registry.platform(platform)?.config.enabled == enabled else {
                throw WebhookError(
                    .conflict, .conflict,
                    "\(file) already says enabled: \(enabled), but it does not load, so its previous version still serves"
                        + Self.reasons(report, file: file))
            }
            return Outcome(platform: platform, enabled: enabled, sourceFile: file, changed: false)
        }
        var status = stat()
        guard stat(target, &status) == 0 else {
            throw WebhookError(.conflict, .conflict, "cannot read \(file) to switch platform \(platform)")
        }
        let mode = status.st_mode & 0o7777
        let owner = (status.st_uid, status.st_gid)
        do {
            try self.directory.write(target, Array(edited.utf8), mode: mode, owner: owner)
        } catch {
            throw WebhookError(.internalServerError, .internalError, "cannot write \(file) (it is unchanged): \(error)")
        }
        let report = self.directory.reload()
        guard self.directory.registry.platform(platform)?.config.enabled == enabled else {
            // Put the file back as it was: the platform keeps serving as before.
            do {
                try self.directory.write(target, bytes, mode: mode, owner: owner)
            } catch {
                throw WebhookError(
                    .internalServerError, .internalError,
                    "\(file) with enabled: \(enabled) does not load, and putting it back failed (\(error)): restore it by hand"
                        + Self.reasons(report, file: file))
            }
            self.directory.reload()
            throw WebhookError(
                .conflict, .conflict, "\(file) with enabled: \(enabled) does not load, so it was left as it was" + Self.reasons(report, file: file))
        }
        return Outcome(platform: platform, enabled: enabled, sourceFile: file, changed: true)
    }

    /// ": <the file's problems>", or nothing.
    private static func reasons(_ report: ConfigReloader.Report, file: String) -> String {
        let reasons = report.problems.filter { $0.file == file }.map(\.description)
        return reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; ")
    }
}
