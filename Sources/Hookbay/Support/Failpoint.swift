#if DEBUG
    import Foundation
#endif

/// Places where a debug build can be told to die, so that fault-injection tests (`scripts/chaos`) can kill a process
/// at the worst moment instead of hoping to: `HOOKBAY_FAILPOINT=after_commit` kills the process with `SIGKILL` right
/// after a batch's database commit, before its acknowledgement (once per process). Release builds compile it out.
public enum Failpoint: String, Sendable {
    /// After the content database committed a batch, before the queue acknowledges it.
    case afterCommit = "after_commit"

    #if DEBUG
        private static let armed: Failpoint? = ProcessInfo.processInfo.environment["HOOKBAY_FAILPOINT"].flatMap(Failpoint.init(rawValue:))
    #endif

    /// Kills the process when this failpoint is armed (debug builds only).
    @inline(__always)
    static func hit(_ point: Failpoint) {
        #if DEBUG
            if Self.armed == point { kill(getpid(), SIGKILL) }
        #endif
    }
}
