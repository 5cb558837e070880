import Foundation
import Synchronization

/// The config directory as the admin API changes it (a registration, a platform switched on or off): one change at a
/// time, files replaced atomically, and the directory reloaded at once so the change serves when the call returns.
///
/// One change at a time is a lock in the process and an exclusive `flock` on `.hookbay-register.lock` in the
/// directory, for gateways sharing it.
public struct ConfigDirectory: Sendable {
    private static let inProcess = Mutex(())

    /// The reloader of the directory: its path and the registry it fills.
    public let reloader: ConfigReloader

    public init(reloader: ConfigReloader) {
        self.reloader = reloader
    }

    /// The directory's path.
    public var path: String { self.reloader.directory }
    /// The platforms it serves.
    public var registry: PlatformRegistry { self.reloader.registry }

    /// The path of the file `name` in the directory.
    public func path(_ name: String) -> String {
        (self.path as NSString).appendingPathComponent(name)
    }

    /// Runs `body` as the only change to the directory.
    func change<T>(_ body: () throws(WebhookError) -> T) throws(WebhookError) -> T {
        try Self.inProcess.withLock { _ throws(WebhookError) in
            let lock = open(self.path(".hookbay-register.lock"), O_RDWR | O_CREAT, 0o600)
            guard lock >= 0 else {
                throw WebhookError(.internalServerError, .internalError, "cannot lock the config directory to change it")
            }
            defer { close(lock) }
            guard flock(lock, LOCK_EX) == 0 else {
                throw WebhookError(.internalServerError, .internalError, "cannot lock the config directory to change it")
            }
            defer { flock(lock, LOCK_UN) }
            return try body()
        }
    }

    /// Replaces the file at `path` (in the directory, or a link's target) with `bytes` atomically, and syncs its folder.
    func write(_ path: String, _ bytes: [UInt8], mode: mode_t, owner: (uid_t, gid_t)? = nil) throws {
        try AtomicFile.replace(path, with: bytes, mode: mode, owner: owner)
        try AtomicFile.syncDirectory((path as NSString).deletingLastPathComponent)
    }

    /// Reloads the directory now, changed or not.
    @discardableResult
    func reload() -> ConfigReloader.Report {
        self.reloader.reload(force: true)
    }
}
