import NIOCore

/// What ``ConnectionStateHandler`` knows of its connection (requests in progress, when it was last active, whether the
/// server is shutting down) and the answer to its one question: close now, close after this write, or wait.
///
/// A value without I/O, so every transition has a table test (`ConnectionStateMachineTests`); time is passed in.
struct ConnectionStateMachine: Equatable {
    /// How long a connection may go without traffic (or, with requests in progress, without taking its answers).
    let idleTimeout: TimeAmount
    /// Requests whose head arrived and whose response has not ended.
    private(set) var inProgress = 0
    /// The last read, or the last request's end.
    private(set) var lastActive: NIODeadline
    /// The server is shutting down: close once no request is in progress.
    private(set) var closeWhenIdle = false

    init(idleTimeout: TimeAmount, now: NIODeadline) {
        self.idleTimeout = idleTimeout
        self.lastActive = now
    }

    /// When the idle timer is due.
    var deadline: NIODeadline { self.lastActive + self.idleTimeout }

    /// A request part was read; a head starts a request.
    mutating func read(startsRequest: Bool, now: NIODeadline) {
        if startsRequest { self.inProgress += 1 }
        self.lastActive = now
    }

    /// A response ended: whether the connection is to close once it is written (the server is shutting down and no
    /// other request is in progress).
    mutating func requestEnded(now: NIODeadline) -> Bool {
        self.inProgress -= 1
        self.lastActive = now
        return self.closeWhenIdle && self.inProgress <= 0
    }

    /// What to do when the server asks its connections to quiesce.
    enum QuiesceAction: Equatable {
        /// Nothing is in progress: close now.
        case close
        /// Close after the requests in progress are answered.
        case closeWhenAnswered
    }

    /// The server is shutting down gracefully.
    mutating func quiesce() -> QuiesceAction {
        if self.inProgress <= 0 { return .close }
        self.closeWhenIdle = true
        return .closeWhenAnswered
    }

    /// What to do when the idle timer fires.
    enum TimerAction: Equatable {
        case close
        /// Not idle for long enough: fire again at this deadline.
        case rearm(NIODeadline)
    }

    /// The idle timer fired. A connection with requests in progress is busy, not idle, unless its answers are not being
    /// taken (the channel stays unwritable): a client that never reads is closed after the idle timeout all the same.
    mutating func timerFired(now: NIODeadline, writable: Bool) -> TimerAction {
        if now >= self.deadline, self.inProgress <= 0 || !writable { return .close }
        if self.inProgress > 0, writable { self.lastActive = now }
        return .rearm(self.deadline)
    }
}
