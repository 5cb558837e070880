import Foundation

/// Runs blocking work (a child process, gcc, a socket read) on a thread of its own, off Swift's cooperative pool: the
/// pool has one thread per core, and a test blocking one starves every other test's tasks (the in-process servers'
/// routes among them) for as long as it blocks.
public func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await Sockets.blocking { Result { try body() } }.get()
}
