import NIOCore

/// What ``ConnectionStateHandler`` knows of its connection (requests in progress, when it was last active, whether its
/// answers are being taken, whether the server is shutting down) and the answer to its one question: close now, close
/// after this write, or wait.
///
/// Two clocks, each allowed `idleTimeout`:
/// - the idle clock, restarted by traffic (a request part read, a response ended): a connection with nothing in
///   progress and nothing waiting to leave is closed when it runs out; one with requests in progress, or an answer
///   still leaving, is busy, not idle, and its clock restarts;
/// - the output clock, which runs while an output check is outstanding: when the timer finds answers waiting in the
///   channel for the peer to take, the handler sends a check behind them (an empty write, see
///   ``ConnectionStateHandler``) that completes once everything written before it has been handed to the kernel. A
///   check not through within `idleTimeout` means the peer did not take, in a whole idle timeout, the answers that
///   were waiting when it was sent: the connection is closed, with requests in progress or not, and however much the
///   client is still sending (reads do not restart this clock), unless ``minimumProgressBytes`` of what was waiting
///   left meanwhile (a slow reader of one large answer), which starts the clock again.
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
    /// When the outstanding output check was sent, or last found progress (`nil`: none is outstanding): the answers
    /// written before it have not all been handed to the kernel yet.
    private(set) var outputCheckSentAt: NIODeadline?
    /// Bytes waiting in the channel for the peer when the check was sent, or last found progress.
    private(set) var outputPendingAtCheck = 0

    /// Bytes the peer must take per idle timeout while answers wait for it, for an unfinished check to count as
    /// progress: a slow reader of a large answer keeps its connection, one that trickles a few bytes does not.
    static let minimumProgressBytes = 16 * 1024
    /// The shortest idle timeout the timer runs with (a zero one would fire again at once, for ever).
    static let shortestIdleTimeout = TimeAmount.milliseconds(10)

    init(idleTimeout: TimeAmount, now: NIODeadline) {
        self.idleTimeout = max(idleTimeout, Self.shortestIdleTimeout)
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

    /// The timer fired; `outputPending` is the bytes waiting in the channel for the peer to take them (written, not
    /// yet accepted by the kernel), or `nil` when the channel is unwritable and the count is not known.
    ///
    /// A connection with requests in progress, or with answers still leaving, is busy, not idle, so long as the peer
    /// takes its answers: its idle clock restarts, and whether the peer takes them is the output check's question.
    /// Writability is no answer to that question: a channel stays writable while less than its high-water mark waits,
    /// and the kernel's buffers can take a great deal before anything waits at all. A check that has not gone through
    /// in an idle timeout closes the connection, unless the peer took at least ``minimumProgressBytes`` of what was
    /// waiting meanwhile (a slow reader of a large answer), which starts the check's clock again.
    mutating func timerFired(now: NIODeadline, outputPending: Int?) -> TimerAction {
        let pending = outputPending ?? Int.max
        if let sent = self.outputCheckSentAt, now >= sent + self.idleTimeout {
            // What was written before the check has not all left in a whole idle timeout: progress, or the peer is
            // not taking its answers.
            guard let bytes = outputPending, self.outputPendingAtCheck - bytes >= Self.minimumProgressBytes else { return .close }
            self.outputCheckSentAt = now
            self.outputPendingAtCheck = bytes
        }
        if now >= self.lastActive + self.idleTimeout {
            if self.inProgress <= 0, pending == 0 { return .close }
            self.lastActive = now
        }
        if pending > 0, self.outputCheckSentAt == nil {
            self.outputCheckSentAt = now
            // Uncounted (an unwritable channel that says nothing): no progress can be shown against it.
            self.outputPendingAtCheck = outputPending ?? 0
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
