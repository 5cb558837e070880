import HookbayTestSupport
import NIOCore
import Testing

@testable import Hookbay

/// The connection's idle clock, output check and shutdown, without a channel: every transition as a row.
@Suite struct ConnectionStateMachineTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    static func at(_ seconds: Int64) -> NIODeadline { start + .seconds(seconds) }

    static func machine(inProgress: Int = 0) -> ConnectionStateMachine {
        var machine = ConnectionStateMachine(idleTimeout: .seconds(30), now: start)
        for _ in 0..<inProgress { machine.read(startsRequest: true, now: start) }
        return machine
    }

    struct TimerRow: Sendable, CustomTestStringConvertible {
        var inProgress: Int
        var firedAfter: Int64
        /// Bytes waiting for the peer; `nil`: unwritable, not counted.
        var outputPending: Int?
        var expected: ConnectionStateMachine.TimerAction
        var testDescription: String {
            "\(inProgress) in progress, fired at +\(firedAfter) s, output pending \(outputPending.map(String.init) ?? "unknown")"
        }
    }

    @Test(arguments: [
        // Idle, not yet due (the timer was armed before later traffic): wait for the rest of the allowance.
        TimerRow(inProgress: 0, firedAfter: 10, outputPending: 0, expected: .rearm(at(30))),
        // Idle and due with nothing waiting: close.
        TimerRow(inProgress: 0, firedAfter: 30, outputPending: 0, expected: .close),
        // Idle and due with an answer still leaving: not idle yet; whether the peer takes it is checked.
        TimerRow(inProgress: 0, firedAfter: 31, outputPending: 500, expected: .checkOutput(rearmAt: at(61))),
        // Busy and taking its answers: not idle; the clock restarts now.
        TimerRow(inProgress: 1, firedAfter: 30, outputPending: 0, expected: .rearm(at(60))),
        TimerRow(inProgress: 3, firedAfter: 45, outputPending: 0, expected: .rearm(at(75))),
        // Busy with answers waiting (counted, or an unwritable channel): checked; the peer has an idle timeout to take them.
        TimerRow(inProgress: 1, firedAfter: 30, outputPending: 500, expected: .checkOutput(rearmAt: at(60))),
        TimerRow(inProgress: 1, firedAfter: 30, outputPending: nil, expected: .checkOutput(rearmAt: at(60))),
        // Answers waiting before the connection is due, busy or not: checked now, due at the idle clock's end.
        TimerRow(inProgress: 1, firedAfter: 10, outputPending: 500, expected: .checkOutput(rearmAt: at(30))),
        TimerRow(inProgress: 0, firedAfter: 10, outputPending: 500, expected: .checkOutput(rearmAt: at(30))),
    ])
    func idleTimer(row: TimerRow) {
        var machine = Self.machine(inProgress: row.inProgress)
        let action = machine.timerFired(now: Self.at(row.firedAfter), outputPending: row.outputPending)
        #expect(action == row.expected)
    }

    /// The flaky-test bug: a client that pipelines and never reads keeps requests in progress, and its channel can
    /// stay writable (less than the high-water mark waiting) for as long as it likes. Once the peer has taken nothing
    /// for an idle timeout after the check, the connection is closed, however busy it looks and whatever it still sends.
    @Test func aPeerThatTakesNothingIsClosedThoughRequestsAreInProgress() {
        var machine = Self.machine(inProgress: 2)
        let first = machine.timerFired(now: Self.at(30), outputPending: 100_000)
        #expect(first == .checkOutput(rearmAt: Self.at(60)))
        // It goes on sending: reads restart the idle clock, not the output check's.
        machine.read(startsRequest: true, now: Self.at(40))
        machine.read(startsRequest: false, now: Self.at(59))
        #expect(machine.deadline == Self.at(60))
        let early = machine.timerFired(now: Self.at(50), outputPending: 100_000)
        #expect(early == .rearm(Self.at(60)), "one check at a time, due when the first was sent plus the idle timeout")
        let second = machine.timerFired(now: Self.at(60), outputPending: 100_000)
        #expect(second == .close)
    }

    /// A channel found writable is no proof the peer reads: the old rule (busy and writable: not idle) kept such a
    /// connection for ever. Fired every idle timeout with answers waiting and the check never through, it is closed
    /// at the second firing.
    @Test func aStuckWritableConnectionIsNotKeptForEver() {
        var machine = Self.machine(inProgress: 1)
        var closedAt: NIODeadline?
        for _ in 0..<10 {
            let now = machine.deadline
            switch machine.timerFired(now: now, outputPending: 100_000) {
            case .close: closedAt = now
            case .rearm, .checkOutput: continue
            }
            break
        }
        #expect(closedAt == Self.at(60))
    }

    /// A slow reader that takes its answers within the idle timeout keeps its busy connection: each check goes
    /// through, and the next firing that finds answers waiting sends another.
    @Test func aCheckThatGoesThroughKeepsABusyConnection() {
        var machine = Self.machine(inProgress: 1)
        let first = machine.timerFired(now: Self.at(30), outputPending: 100_000)
        #expect(first == .checkOutput(rearmAt: Self.at(60)))
        machine.outputCheckPassed()
        #expect(machine.outputCheckSentAt == nil)
        #expect(machine.deadline == Self.at(60), "taking answers does not restart the idle clock")
        let second = machine.timerFired(now: Self.at(60), outputPending: 100_000)
        #expect(second == .checkOutput(rearmAt: Self.at(90)))
        machine.outputCheckPassed()
        let third = machine.timerFired(now: Self.at(90), outputPending: 0)
        #expect(third == .rearm(Self.at(120)))
    }

    /// The output check's deadline comes first when traffic keeps the idle clock going.
    @Test func theOutputCheckBoundsAConnectionThatKeepsSending() {
        var machine = Self.machine()
        let check = machine.timerFired(now: Self.at(10), outputPending: 100_000)
        #expect(check == .checkOutput(rearmAt: Self.at(30)))
        machine.read(startsRequest: true, now: Self.at(25))
        #expect(machine.deadline == Self.at(40))
        let notYet = machine.timerFired(now: Self.at(39), outputPending: 100_000)
        #expect(notYet == .rearm(Self.at(40)))
        let due = machine.timerFired(now: Self.at(40), outputPending: 100_000)
        #expect(due == .close)
    }

    /// A slow but steady reader of a large answer keeps its connection: a check not through in an idle timeout, but
    /// with at least ``ConnectionStateMachine/minimumProgressBytes`` taken meanwhile, starts its clock again; a reader
    /// that trickles less, or a channel whose backlog cannot be counted, is closed.
    @Test func progressKeepsASlowReaderAndTricklingDoesNot() {
        var machine = Self.machine(inProgress: 1)
        #expect(machine.timerFired(now: Self.at(30), outputPending: 100_000) == .checkOutput(rearmAt: Self.at(60)))
        #expect(machine.timerFired(now: Self.at(60), outputPending: 80_000) == .rearm(Self.at(90)), "20 KB taken: progress")
        #expect(machine.outputCheckSentAt == Self.at(60) && machine.outputPendingAtCheck == 80_000)
        #expect(machine.timerFired(now: Self.at(90), outputPending: 75_000) == .close, "5 KB in an idle timeout: trickling")
        var unknown = Self.machine(inProgress: 1)
        _ = unknown.timerFired(now: Self.at(30), outputPending: 100_000)
        #expect(unknown.timerFired(now: Self.at(60), outputPending: nil) == .close)
        // A check sent while the backlog was uncounted has nothing to show progress against.
        var uncounted = Self.machine(inProgress: 1)
        #expect(uncounted.timerFired(now: Self.at(30), outputPending: nil) == .checkOutput(rearmAt: Self.at(60)))
        #expect(uncounted.timerFired(now: Self.at(60), outputPending: 1000) == .close)
    }

    /// An answer still leaving when the idle clock runs out is not cut off: it is checked, and once it has left the
    /// idle connection closes.
    @Test func anIdleConnectionFinishesItsLastAnswer() {
        var machine = Self.machine()
        #expect(machine.timerFired(now: Self.at(30), outputPending: 4000) == .checkOutput(rearmAt: Self.at(60)))
        machine.outputCheckPassed()
        #expect(machine.timerFired(now: Self.at(60), outputPending: 0) == .close)
    }

    /// A zero idle timeout would fire the timer again at once, for ever: it is raised to the shortest one.
    @Test func aZeroIdleTimeoutDoesNotSpin() {
        let machine = ConnectionStateMachine(idleTimeout: .zero, now: Self.start)
        #expect(machine.idleTimeout == ConnectionStateMachine.shortestIdleTimeout)
        #expect(machine.deadline > Self.start)
    }

    @Test func readsAndAnswersMoveTheClock() {
        var machine = Self.machine()
        machine.read(startsRequest: true, now: Self.at(5))
        machine.read(startsRequest: false, now: Self.at(8))
        #expect(machine.inProgress == 1)
        #expect(machine.deadline == Self.at(38))
        let result2 = machine.requestEnded(now: Self.at(9))
        #expect(result2 == false)
        #expect(machine.inProgress == 0)
        #expect(machine.deadline == Self.at(39))
    }

    @Test func quiescingClosesAtOnceWhenNothingIsInProgress() {
        var machine = Self.machine()
        let result3 = machine.quiesce()
        #expect(result3 == .close)
    }

    @Test func quiescingClosesAfterTheLastAnswer() {
        var machine = Self.machine(inProgress: 2)
        let result4 = machine.quiesce()
        #expect(result4 == .closeWhenAnswered)
        let result5 = machine.requestEnded(now: Self.at(1))
        #expect(result5 == false, "one request is still in progress")
        let result6 = machine.requestEnded(now: Self.at(2))
        #expect(result6 == true)
    }

    @Test func answersWithoutAShutdownNeverClose() {
        var machine = Self.machine(inProgress: 1)
        let result7 = machine.requestEnded(now: Self.at(1))
        #expect(result7 == false)
        // An answer with no request counted (an encoded response after a parse error) does not close either.
        let result8 = machine.requestEnded(now: Self.at(2))
        #expect(result8 == false)
    }
}
