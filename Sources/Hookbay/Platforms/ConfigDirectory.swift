import Foundation
import Synchronization

/// One change to the config directory at a time (a registration, a platform switched on or off): a lock in the process,
/// and an exclusive `flock` on `.hookbay-register.lock` in the directory for gateways sharing it.
enum ConfigDirectoryLock {
    private static let inProcess = Mutex(())

    static func withLock<T>(_ directory: String, _ body: () throws(WebhookError) -> T) throws(WebhookError) -> T {
        try Self.inProcess.withLock { _ throws(WebhookError) in
            let lockPath = (directory as NSString).appendingPathComponent(".hookbay-register.lock")
            let lock = open(lockPath, O_RDWR | O_CREAT, 0o600)
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
}
