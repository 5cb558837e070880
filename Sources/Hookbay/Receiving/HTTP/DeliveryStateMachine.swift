/// Where ``WebhookChannelHandler`` is in its connection's stream of requests, and what it does with each part that
/// arrives: gather a delivery it serves itself, hand a request on to the router, hold pipelined requests while one is
/// being answered, or drop what follows a closing answer. It also counts the answers of the event loop's turn, so
/// that one client pipelining thousands of requests cannot keep the loop from its other connections.
///
/// A value without I/O (the handler owns the channel, the buffers and the limits), so every transition has a table
/// test (`DeliveryStateMachineTests`).
struct DeliveryStateMachine: Equatable {
    enum State: Equatable {
        /// Between requests.
        case idle
        /// Gathering the body of a delivery served here.
        case reading
        /// The delivery is read; its answer is on its way (the queue is being asked).
        case answering
        /// A request handed on to the router, until its end is read and its response's end written.
        case forwarding(requestRead: Bool, responseWritten: Bool)
        /// Answered with `Connection: close`: whatever else arrives is dropped.
        case closing
    }

    /// The kind of a request part.
    enum Part: Equatable {
        case head
        case body
        case end
    }

    /// What to do with a part.
    enum Action: Equatable {
        /// A new request's head: the handler decides whether it serves it (``startDelivery()``) or the router does
        /// (``startForwarding()``).
        case startRequest
        /// Add the body bytes to the delivery.
        case gather
        /// The delivery is read in full: check it and answer it.
        case serve
        /// Keep the part until the request in front of it is answered.
        case hold
        /// Pass the part to the router.
        case forward
        /// Pass the part (the request's end) to the router, whose answer is already written: the connection is ready
        /// for its next request.
        case forwardAndBecomeIdle
        /// Drop the part.
        case drop
    }

    /// Answers written in one event-loop turn before the next request waits for the loop's next turn.
    static let answersPerTurn = 16

    private(set) var state = State.idle
    /// Answers written since the event loop last ran other work.
    private(set) var answeredThisTurn = 0
    /// Held requests wait for the event loop's next turn.
    private(set) var yielding = false

    /// Whether a new request must wait for the event loop's next turn.
    var mustYield: Bool {
        guard case .idle = self.state else { return false }
        return self.yielding || self.answeredThisTurn >= Self.answersPerTurn
    }

    /// Whether a request in progress is waiting for its answer, so that parts behind it are held.
    var awaitsAnswer: Bool {
        switch self.state {
        case .answering, .forwarding(requestRead: true, _): return true
        case .idle, .reading, .forwarding(requestRead: false, _), .closing: return false
        }
    }

    /// Whether an earlier request is still being answered, or held behind one (`holding`): errors and a half-close
    /// are passed on only after its answer.
    func isBusy(holding: Bool) -> Bool { self.awaitsAnswer || holding }

    /// A part arrived (or was taken from those held).
    mutating func received(_ part: Part) -> Action {
        switch self.state {
        case .idle:
            // Only a head follows an answered request (the decoder ends every request before the next head).
            return .startRequest
        case .reading:
            switch part {
            case .body: return .gather
            case .end:
                self.state = .answering
                return .serve
            case .head: return .drop
            }
        case .answering, .forwarding(requestRead: true, _):
            return .hold
        case .closing:
            return .drop
        case .forwarding(requestRead: false, let responseWritten):
            guard part == .end else { return .forward }
            if responseWritten { return .forwardAndBecomeIdle }
            self.state = .forwarding(requestRead: true, responseWritten: false)
            return .forward
        }
    }

    /// The handler serves the request whose head arrived.
    mutating func startDelivery() { self.state = .reading }

    /// The router serves the request whose head arrived.
    mutating func startForwarding() { self.state = .forwarding(requestRead: false, responseWritten: false) }

    /// The router wrote a response's end: whether the connection is ready for its next request. The router may answer
    /// before it has read the whole body (a refusal); the rest of the body still goes to it.
    mutating func routerResponseEnded() -> Bool {
        guard case .forwarding(let requestRead, responseWritten: false) = self.state else { return false }
        if requestRead { return true }
        self.state = .forwarding(requestRead: false, responseWritten: true)
        return false
    }

    /// The handler wrote an answer; with `close`, nothing more is served on the connection.
    mutating func answered(close: Bool) {
        self.answeredThisTurn += 1
        if close { self.state = .closing }
    }

    /// Ready for the next request.
    mutating func becomeIdle() { self.state = .idle }

    /// A read completed: a new turn of the event loop, unless held requests wait for the next one.
    mutating func readCompleted() {
        if !self.yielding { self.answeredThisTurn = 0 }
    }

    /// Held requests are to wait for the event loop's next turn: whether to schedule it (not if it already is).
    mutating func startYielding() -> Bool {
        guard !self.yielding else { return false }
        self.yielding = true
        return true
    }

    /// The event loop's next turn came: whether held requests can be served now.
    mutating func nextTurn() -> Bool {
        self.yielding = false
        self.answeredThisTurn = 0
        return self.state == .idle
    }
}
