import HookbayTestSupport
import NIOCore
import Testing

@testable import Hookbay

/// The connection's idle clock and shutdown, without a channel: every transition as a row.
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
        var writable: Bool
        var expected: ConnectionStateMachine.TimerAction
        var testDescription: String { "\(inProgress) in progress, fired at +\(firedAfter) s, writable \(writable)" }
    }

    @Test(arguments: [
        // Idle, not yet due (the timer was armed before later traffic): wait for the rest of the allowance.
        TimerRow(inProgress: 0, firedAfter: 10, writable: true, expected: .rearm(at(30))),
        // Idle and due: close, writable or not.
        TimerRow(inProgress: 0, firedAfter: 30, writable: true, expected: .close),
        TimerRow(inProgress: 0, firedAfter: 31, writable: false, expected: .close),
        // Busy and taking its answers: not idle; the clock restarts now.
        TimerRow(inProgress: 1, firedAfter: 30, writable: true, expected: .rearm(at(60))),
        TimerRow(inProgress: 3, firedAfter: 45, writable: true, expected: .rearm(at(75))),
        // Busy but not taking its answers: closed after the idle timeout all the same.
        TimerRow(inProgress: 1, firedAfter: 30, writable: false, expected: .close),
        // Busy, not writable, but not yet due: wait.
        TimerRow(inProgress: 1, firedAfter: 10, writable: false, expected: .rearm(at(30))),
    ])
    func idleTimer(row: TimerRow) {
        var machine = Self.machine(inProgress: row.inProgress)
        let action = machine.timerFired(now: Self.at(row.firedAfter), writable: row.writable)
        #expect(action == row.expected)
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
