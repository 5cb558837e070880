/// Whether a destination is tried: closed (every delivery is attempted), open after `threshold` failures in a row
/// (nothing is attempted until the cool-down ends), then half-open (one probe is attempted; its success closes the
/// circuit, its failure opens it again for twice the cool-down, up to `maxCoolDown`).
///
/// So a destination that keeps failing costs one attempt per cool-down instead of one per delivery, and holds no
/// worker. A value without I/O; time (Unix milliseconds) is passed in.
struct CircuitBreaker: Sendable, Equatable {
    enum State: Sendable, Equatable {
        case closed(failures: Int)
        case open(until: Int64, coolDown: Int64)
        /// A probe was let through at `since`; another is allowed once `probeTimeout` has passed without an answer.
        case halfOpen(since: Int64, coolDown: Int64)
    }

    /// Whether an attempt may be made now.
    enum Permit: Sendable, Equatable {
        case attempt
        /// Attempt it: it is the probe of a half-open circuit.
        case probe
        /// Not before this time.
        case wait(until: Int64)
    }

    let threshold: Int
    let baseCoolDown: Int64
    let maxCoolDown: Int64
    /// How long a probe may go unanswered before another is let through (its attempt timed out or was lost).
    let probeTimeout: Int64
    private(set) var state: State = .closed(failures: 0)

    init(threshold: Int = 5, baseCoolDown: Int64 = 30_000, maxCoolDown: Int64 = 600_000, probeTimeout: Int64) {
        self.threshold = max(1, threshold)
        self.baseCoolDown = max(1, baseCoolDown)
        self.maxCoolDown = max(self.baseCoolDown, maxCoolDown)
        self.probeTimeout = max(1, probeTimeout)
    }

    /// Whether an attempt may be made at `now`; a probe when the cool-down is over.
    mutating func permit(now: Int64) -> Permit {
        switch self.state {
        case .closed:
            return .attempt
        case .open(let until, let coolDown):
            guard now >= until else { return .wait(until: until) }
            self.state = .halfOpen(since: now, coolDown: coolDown)
            return .probe
        case .halfOpen(let since, let coolDown):
            guard now - since >= self.probeTimeout else { return .wait(until: since + self.probeTimeout) }
            self.state = .halfOpen(since: now, coolDown: coolDown)
            return .probe
        }
    }

    /// How many attempts ``permit(now:)`` would let start at `now`, without changing anything: `nil` when closed (no
    /// limit but the destination's own), 1 when a probe is due, 0 while waiting.
    func capacity(now: Int64) -> Int? {
        switch self.state {
        case .closed: return nil
        case .open(let until, _): return now >= until ? 1 : 0
        case .halfOpen(let since, _): return now - since >= self.probeTimeout ? 1 : 0
        }
    }

    /// An attempt succeeded (the destination answered 2xx).
    mutating func succeeded() {
        self.state = .closed(failures: 0)
    }

    /// An attempt failed at `now`.
    mutating func failed(now: Int64) {
        switch self.state {
        case .closed(let failures):
            self.state =
                failures + 1 >= self.threshold ? .open(until: now + self.baseCoolDown, coolDown: self.baseCoolDown) : .closed(failures: failures + 1)
        case .open:
            break // an attempt let through before the circuit opened: it is open already
        case .halfOpen(_, let coolDown):
            let next = min(coolDown * 2, self.maxCoolDown)
            self.state = .open(until: now + next, coolDown: next)
        }
    }

    /// `closed`, `open` or `half_open`, for metrics and stats.
    var name: String {
        switch self.state {
        case .closed: return "closed"
        case .open: return "open"
        case .halfOpen: return "half_open"
        }
    }
}
