import Foundation

/// Files replaced whole or not at all: written to a temporary file beside them, flushed, then renamed over them.
enum AtomicFile {
    /// Flushes the directory's entries (the renames) to disk.
    static func syncDirectory(_ directory: String) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// Writes `bytes` to a temporary file beside `path` with `mode` (whatever the umask) and, when given, `owner`,
    /// flushes it, and renames it over `path`. Any failure before the rename leaves `path` as it was and no temporary
    /// file behind.
    /// - Parameter owner: a user and group id to give the file; tried only (a gateway not running as root cannot).
    static func replace(_ path: String, with bytes: [UInt8], mode: mode_t, owner: (uid_t, gid_t)? = nil) throws {
        let temporary = path + ".tmp-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        func fail() -> POSIXError {
            let error = POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            close(fd)
            unlink(temporary)
            return error
        }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            guard n > 0 else { throw fail() }
            written += n
        }
        guard fchmod(fd, mode) == 0 else { throw fail() }
        if let (uid, gid) = owner { _ = fchown(fd, uid, gid) }
        // A write the disk could not keep (ENOSPC, EIO) shows here or at close: never rename such a file over the good one.
        guard fsync(fd) == 0 else { throw fail() }
        guard close(fd) == 0 else {
            let error = POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            unlink(temporary)
            throw error
        }
    }
}
