import NIOCore

/// What ``ConnectionStateHandler`` knows of its connection (requests in progress, when it was last active, whether its
/// answers are being taken, whether the server is shutting down) and the answer to its one question: close now, close
/// after this write, or wait.
///
/// Two clocks, each allowed `idleTimeout`:
/// - the idle clock, restarted by traffic (a request part read, a response ended): a connection with nothing in
///   progress is closed when it runs out; one with requests in progress is busy, not idle, and its clock restarts;
/// - the output clock, which runs while an output check is outstanding: when the timer finds answers waiting in the
///   channel for the peer to take, the handler sends a check behind them (an empty write, see
///   ``ConnectionStateHandler``) that completes once everything written before it has been handed to the kernel. A
///   check not through within `idleTimeout` means the peer did not take, in a whole idle timeout, the answers that
///   were waiting when it was sent: the connection is closed, with requests in progress or not, and however much the
///   client is still sending (reads do not restart this clock).
///
/// So a client that never reads is closed at most about two idle timeouts after its answers back up (soon after it
/// stops reading: ``GatewayHTTPChannel`` keeps the kernel's backlog small), instead of being kept for as long as the
/// timer happens to find requests in progress and the channel writable.
///
/// A value without I/O, so every transition has a table test (`ConnectionStateMachineTests`); time is passed in.
struct ConnectionStateMachine: Equatable {
    /// How long a connection may go without traffic, and how long its answers may wait for the peer to take them.
    let idleTimeout: TimeAmount
    /// Requests whose head arrived and whose response has not ended.
    private(set) var inProgress = 0
    /// The last read, or the last request's end.
    private(set) var lastActive: NIODeadline
    /// The server is shutting down: close once no request is in progress.
    private(set) var closeWhenIdle = false
    /// When the outstanding output check was sent (`nil`: none is): the answers written before then have not all
    /// been handed to the kernel yet.
    private(set) var outputCheckSentAt: NIODeadline?

    init(idleTimeout: TimeAmount, now: NIODeadline) {
        self.idleTimeout = idleTimeout
        self.lastActive = now
    }

    /// When the timer is due: the idle clock's end, or the outstanding output check's if that comes first.
    var deadline: NIODeadline {
        let idle = self.lastActive + self.idleTimeout
        guard let sent = self.outputCheckSentAt else { return idle }
        return min(idle, sent + self.idleTimeout)
    }

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

    /// What to do when the timer fires.
    enum TimerAction: Equatable {
        case close
        /// Nothing to decide yet: fire again at this deadline.
        case rearm(NIODeadline)
        /// Answers are waiting for the peer: send an output check (``outputCheckPassed()`` once it completes), then
        /// fire again at this deadline.
        case checkOutput(rearmAt: NIODeadline)
    }

    /// The timer fired; `outputPending` tells whether answers are waiting in the channel for the peer to take them
    /// (bytes written that the kernel has not accepted yet).
    ///
    /// A connection with requests in progress is busy, not idle, so long as it takes its answers: its idle clock
    /// restarts, and whether the peer takes them is the output check's question. Writability is no answer to that
    /// question: a channel stays writable while less than its high-water mark waits, and the kernel's buffers can take a
    /// great deal before anything waits at all.
    mutating func timerFired(now: NIODeadline, outputPending: Bool) -> TimerAction {
        if let sent = self.outputCheckSentAt, now >= sent + self.idleTimeout {
            // What was written before the check has not all left in a whole idle timeout: the peer is not taking
            // its answers.
            return .close
        }
        if now >= self.lastActive + self.idleTimeout {
            if self.inProgress <= 0 { return .close }
            self.lastActive = now
        }
        if outputPending, self.outputCheckSentAt == nil {
            self.outputCheckSentAt = now
            return .checkOutput(rearmAt: self.deadline)
        }
        return .rearm(self.deadline)
    }

    /// The output check went through: everything written before it was handed to the kernel, so the peer is taking
    /// its answers. The idle clock is left alone (taking answers is not a request).
    mutating func outputCheckPassed() {
        self.outputCheckSentAt = nil
    }
}
