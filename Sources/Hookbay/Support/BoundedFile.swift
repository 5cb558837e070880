import Foundation

/// Reads files that others write (platform files, secret files) without trusting them: only regular files (a
/// symlink to `/dev/zero` or a FIFO is refused, not read for ever), and never more than a limit.
enum BoundedFile {
    enum Failure: Error, Equatable {
        /// Missing, unreadable, or not a regular file.
        case unreadable
        /// Larger than the limit.
        case tooLarge
    }

    /// The file's bytes, when it is a regular file of at most `limit` bytes.
    static func read(_ path: String, limit: Int) -> Result<[UInt8], Failure> {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.unreadable) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return .failure(.unreadable) }
        guard status.st_size <= limit else { return .failure(.tooLarge) }
        var bytes = [UInt8](repeating: 0, count: limit + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { return .failure(.unreadable) }
            if n == 0 { break }
            count += n
        }
        // The file grew past the limit between the size check and the read.
        guard count <= limit else { return .failure(.tooLarge) }
        return .success(Array(bytes[..<count]))
    }
}
