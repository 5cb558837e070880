import Foundation
import Glibc
import Synchronization

/// A child process started with `posix_spawn`, for every process a test starts (`hookbay`, `redis-server`, `gcc`,
/// `scripts/postgres-server`). Not Foundation's `Process`: its `run()` crashes now and then in this toolchain's
/// Foundation, and its pipes keep a reader waiting for as long as a daemon the child started holds them.
///
/// The child inherits no descriptor past the standard three (a server that outlives a test must not hold the test
/// process's sockets open), starts with every signal at its default action and none blocked (a test process that ran
/// a `ServiceGroup` ignores `SIGTERM`), and leads a process group of its own, as `Process` made it. Its standard input is
/// `/dev/null` unless asked otherwise.
///
/// The child is reaped with `waitpid(WNOHANG)` only: `isRunning`, `waitForExit()` (polling, off the cooperative pool's
/// threads between polls) and `waitUntilExit()` (polling, blocking its thread: for a child just killed, or one known to
/// have ended).
public final class ChildProcess: Sendable {
    /// Where one of the child's standard streams goes.
    public enum Redirection: Sendable {
        /// The test process's own stream.
        case inherit
        /// `/dev/null`.
        case discard
        /// A file: written from its start (or appended to), created when missing; read from, for standard input.
        case file(String, append: Bool = false)
        /// An open descriptor of the test process (a `FileHandle`'s `fileDescriptor`), duplicated into the child.
        case descriptor(Int32)
        /// For standard error only: wherever standard output goes (`2>&1`).
        case standardOutput
    }

    /// How the child ended, as Foundation's `Process.TerminationReason` says it.
    public enum TerminationReason: Sendable {
        case exit
        case uncaughtSignal
    }

    /// How the child ended, and its exit status or signal number.
    private typealias Ending = (reason: TerminationReason, status: Int32)

    public let pid: pid_t
    /// The ending, once the child has been reaped.
    private let ending: Mutex<Ending?>

    private init(pid: pid_t) {
        self.pid = pid
        self.ending = Mutex(nil)
    }

    deinit { _ = self.reap() }

    /// `pid`, under the name Foundation's `Process` gives it.
    public var processIdentifier: pid_t { self.pid }

    /// Whether the child has not ended yet (reaping it when it has).
    public var isRunning: Bool { self.reap() == nil }

    /// The exit status (or, for `.uncaughtSignal`, the signal's number) of a child that has ended.
    public var terminationStatus: Int32 {
        guard let ending = self.reap() else { preconditionFailure("child \(self.pid) is still running") }
        return ending.status
    }

    public var terminationReason: TerminationReason {
        guard let ending = self.reap() else { preconditionFailure("child \(self.pid) is still running") }
        return ending.reason
    }

    /// Sends `signal` to the child, unless it has already been reaped (its pid may belong to another process by then).
    public func terminate(_ signal: Int32 = SIGTERM) {
        self.ending.withLock { ending in
            if ending == nil { _ = kill(self.pid, signal) }
        }
    }

    /// Waits for the child to end, polling with short sleeps that leave the cooperative pool's thread to other tasks,
    /// and returns its exit status (the signal's number when a signal ended it). Throws `CancellationError` when the
    /// task is cancelled; the child is left running.
    @discardableResult
    public func waitForExit() async throws -> Int32 {
        var pause = Duration.milliseconds(1)
        while true {
            if let ending = self.reap() { return ending.status }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(50))
        }
    }

    /// Waits for the child to end, blocking the calling thread (as `Process.waitUntilExit()` did): for a child that
    /// was just sent `SIGKILL` or is known to have ended, or inside `runBlocking`. Anything longer: `waitForExit()`.
    public func waitUntilExit() {
        var pause: UInt32 = 100
        while self.reap() == nil {
            usleep(pause)
            pause = min(pause * 2, 10_000)
        }
    }

    /// Starts `executable` (a path, or a bare name looked up in the child's `PATH`) with `arguments`.
    ///
    /// - Parameters:
    ///   - environment: the child's whole environment; `nil` for the test process's own.
    ///   - workingDirectory: where the child starts; `nil` for the test process's.
    public static func spawn(
        _ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil, workingDirectory: String? = nil,
        stdin: Redirection = .discard, stdout: Redirection = .inherit, stderr: Redirection = .inherit
    ) throws -> ChildProcess {
        let path = Self.resolve(executable, environment: environment)

        var actions = posix_spawn_file_actions_t()
        try Self.check(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init")
        defer { posix_spawn_file_actions_destroy(&actions) }
        try Self.redirect(stdin, to: STDIN_FILENO, in: &actions)
        try Self.redirect(stdout, to: STDOUT_FILENO, in: &actions)
        try Self.redirect(stderr, to: STDERR_FILENO, in: &actions)
        if let workingDirectory {
            guard let addChdir = Self.glibcFunction("posix_spawn_file_actions_addchdir_np", as: AddChdir.self) else {
                throw TestSetupError("cannot start \(path) in \(workingDirectory): this C library has no posix_spawn_file_actions_addchdir_np")
            }
            let added = workingDirectory.withCString { directory in withUnsafeMutablePointer(to: &actions) { addChdir($0, directory) } }
            try Self.check(added, "posix_spawn_file_actions_addchdir_np(\(workingDirectory))")
        }
        // Last, after the redirections have put what the child keeps on 0, 1 and 2: everything else is closed.
        if let addCloseFrom = Self.glibcFunction("posix_spawn_file_actions_addclosefrom_np", as: AddCloseFrom.self) {
            let added = withUnsafeMutablePointer(to: &actions) { addCloseFrom($0, STDERR_FILENO + 1) }
            try Self.check(added, "posix_spawn_file_actions_addclosefrom_np")
        } else {
            Self.markDescriptorsCloseOnExec()
        }

        var attributes = posix_spawnattr_t()
        try Self.check(posix_spawnattr_init(&attributes), "posix_spawnattr_init")
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        try Self.check(posix_spawnattr_setsigmask(&attributes, &noSignals), "posix_spawnattr_setsigmask")
        try Self.check(posix_spawnattr_setsigdefault(&attributes, &allSignals), "posix_spawnattr_setsigdefault")
        try Self.check(posix_spawnattr_setpgroup(&attributes, 0), "posix_spawnattr_setpgroup")
        let flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP
        try Self.check(posix_spawnattr_setflags(&attributes, Int16(flags)), "posix_spawnattr_setflags")

        let argv = Self.cStrings([executable] + arguments)
        defer { for word in argv { free(word) } }
        let envp = environment.map { variables in Self.cStrings(variables.map { "\($0.key)=\($0.value)" }) }
        defer { for word in envp ?? [] { free(word) } }
        var pid: pid_t = 0
        let spawned: Int32
        if let envp {
            spawned = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        } else {
            spawned = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        }
        guard spawned == 0 else { throw TestSetupError("cannot start \(path): \(String(cString: strerror(spawned)))") }
        return ChildProcess(pid: pid)
    }

    /// Runs a short command to its end: its exit status (the signal's number when a signal ended it) and its standard
    /// output and error together. The output goes through a file, not a pipe, so a daemon the command leaves behind
    /// cannot keep this waiting. Cancelling the task kills the command.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, workingDirectory: String? = nil
    ) async throws -> (status: Int32, output: String) {
        let capture = FileManager.default.temporaryDirectory.appendingPathComponent("hookbay-child-\(UUID().uuidString).out").path
        defer { _ = unlink(capture) }
        let child = try Self.spawn(
            executable, arguments, environment: environment, workingDirectory: workingDirectory, stdout: .file(capture),
            stderr: .standardOutput)
        let status: Int32
        do {
            status = try await child.waitForExit()
        } catch {
            child.terminate(SIGKILL)
            child.waitUntilExit()
            throw error
        }
        let output = FileManager.default.contents(atPath: capture) ?? Data()
        return (status, String(decoding: output, as: UTF8.self))
    }

    /// The ending, reaping the child with `waitpid(WNOHANG)` when it has ended and nobody has reaped it yet; `nil` while
    /// it runs. Under the lock, so that only one `waitpid` at a time asks about this pid.
    private func reap() -> Ending? {
        self.ending.withLock { ending -> Ending? in
            if let ending { return ending }
            var raw: Int32 = 0
            while true {
                let reaped = waitpid(self.pid, &raw, WNOHANG)
                if reaped == self.pid {
                    // Without WUNTRACED, a status is either an exit (low 7 bits 0, code in the next 8) or a signal.
                    let signalNumber = raw & 0x7f
                    if signalNumber == 0 {
                        ending = (reason: TerminationReason.exit, status: (raw >> 8) & 0xff)
                    } else {
                        ending = (reason: TerminationReason.uncaughtSignal, status: signalNumber)
                    }
                    return ending
                }
                if reaped == 0 { return nil }
                if errno == EINTR { continue }
                // ECHILD: reaped elsewhere (SIGCHLD ignored, a waitpid(-1)); it has ended, how is unknown.
                ending = (reason: TerminationReason.exit, status: -1)
                return ending
            }
        }
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32

    /// A glibc function looked up at run time: Swift imports Glibc without `_GNU_SOURCE`, which is what declares
    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34) and `posix_spawn_file_actions_addchdir_np` (2.29).
    private static func glibcFunction<Function>(_ name: String, as type: Function.Type) -> Function? {
        // A nil handle is RTLD_DEFAULT in glibc: every library loaded, libc among them.
        guard let symbol = dlsym(nil, name) else { return nil }
        return unsafeBitCast(symbol, to: type)
    }

    /// Without `posix_spawn_file_actions_addclosefrom_np` (glibc before 2.34): every descriptor of the test process past
    /// the standard three is marked close-on-exec (harmless here: the test process never execs), so the child keeps
    /// only what the redirections put on 0, 1 and 2. One opened without the flag by another thread meanwhile would leak.
    private static func markDescriptorsCloseOnExec() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for name in names {
            guard let fd = Int32(name), fd > STDERR_FILENO else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 && (flags & FD_CLOEXEC) == 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    private static func redirect(_ redirection: Redirection, to target: Int32, in actions: inout posix_spawn_file_actions_t) throws {
        let added: Int32
        switch redirection {
        case .inherit:
            return
        case .discard:
            added = posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0)
        case .file(let path, let append):
            let flags = target == STDIN_FILENO ? O_RDONLY : O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
            added = posix_spawn_file_actions_addopen(&actions, target, path, flags, 0o644)
        case .descriptor(let fd):
            added = posix_spawn_file_actions_adddup2(&actions, fd, target)
        case .standardOutput:
            guard target == STDERR_FILENO else { throw TestSetupError("only standard error can go where standard output goes") }
            added = posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, target)
        }
        try Self.check(added, "redirecting descriptor \(target)")
    }

    /// The child's `executable`: as given when it names a path, else the first match in the child's `PATH` (the test
    /// process's when the child gets its environment); as given when none matches, for `posix_spawn` to refuse.
    private static func resolve(_ executable: String, environment: [String: String]?) -> String {
        guard !executable.contains("/") else { return executable }
        let path = environment?["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(executable)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return executable
    }

    /// `strings` as a NULL-terminated C array, each string `strdup`ed: the caller frees every element.
    private static func cStrings(_ strings: [String]) -> [UnsafeMutablePointer<CChar>?] {
        strings.map { strdup($0) } + [nil]
    }

    private static func check(_ result: Int32, _ call: String) throws {
        guard result == 0 else { throw TestSetupError("\(call) failed: \(String(cString: strerror(result)))") }
    }
}
