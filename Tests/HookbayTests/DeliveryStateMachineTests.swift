import HookbayTestSupport
import Testing

@testable import Hookbay

/// What the delivery handler does with each request part, and when it holds, yields and closes: rows of
/// (state set-up, events, expected actions and state), without a channel.
@Suite struct DeliveryStateMachineTests {
    typealias Machine = DeliveryStateMachine

    /// One step: a part arriving, or one of the handler's own moves.
    enum Step: Sendable, Equatable {
        case part(Machine.Part, Machine.Action)
        case deliver
        case forward
        case answer(close: Bool)
        case routerEnded(idle: Bool)
        case idle
    }

    static func run(_ steps: [Step]) -> Machine {
        var machine = Machine()
        for step in steps {
            switch step {
            case .part(let part, let action):
                let result1 = machine.received(part)
                #expect(result1 == action, "\(part) in \(machine.state)")
            case .deliver: machine.startDelivery()
            case .forward: machine.startForwarding()
            case .answer(let close): machine.answered(close: close)
            case .routerEnded(let idle):
                let result2 = machine.routerResponseEnded()
                #expect(result2 == idle, "router end in \(machine.state)")
            case .idle: machine.becomeIdle()
            }
        }
        return machine
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var steps: [Step]
        var state: Machine.State
        var testDescription: String { name }
    }

    @Test(arguments: [
        Row(
            name: "a delivery is gathered, then served",
            steps: [
                .part(.head, .startRequest), .deliver, .part(.body, .gather), .part(.body, .gather), .part(.end, .serve),
            ], state: .answering),
        Row(
            name: "parts behind a delivery being answered are held",
            steps: [
                .part(.head, .startRequest), .deliver, .part(.end, .serve), .part(.head, .hold), .part(.body, .hold), .part(.end, .hold),
            ], state: .answering),
        Row(
            name: "an answer keeping the connection makes it idle",
            steps: [
                .part(.head, .startRequest), .deliver, .part(.end, .serve), .answer(close: false), .idle, .part(.head, .startRequest),
            ], state: .idle),
        Row(
            name: "after a closing answer everything is dropped",
            steps: [
                .part(.head, .startRequest), .deliver, .part(.end, .serve), .answer(close: true), .part(.head, .drop), .part(.end, .drop),
            ], state: .closing),
        Row(
            name: "a routed request is forwarded to its end, then waits for the router's answer",
            steps: [
                .part(.head, .startRequest), .forward, .part(.body, .forward), .part(.end, .forward), .part(.head, .hold),
            ], state: .forwarding(requestRead: true, responseWritten: false)),
        Row(
            name: "the router's answer after the whole request makes the connection idle",
            steps: [
                .part(.head, .startRequest), .forward, .part(.end, .forward), .routerEnded(idle: true),
            ], state: .forwarding(requestRead: true, responseWritten: false)),
        Row(
            name: "a refusal before the body is read: the rest of the body still goes to the router",
            steps: [
                .part(.head, .startRequest), .forward, .routerEnded(idle: false), .part(.body, .forward), .part(.end, .forwardAndBecomeIdle),
            ], state: .forwarding(requestRead: false, responseWritten: true)),
        Row(
            name: "a router write's end outside forwarding changes nothing",
            steps: [
                .part(.head, .startRequest), .deliver, .routerEnded(idle: false),
            ], state: .reading),
        Row(
            name: "a stray head while reading is dropped",
            steps: [
                .part(.head, .startRequest), .deliver, .part(.head, .drop),
            ], state: .reading),
    ])
    func transitions(row: Row) {
        #expect(Self.run(row.steps).state == row.state)
    }

    @Test(arguments: [
        (Machine.State.idle, false), (.reading, false), (.answering, true), (.closing, false),
        (.forwarding(requestRead: false, responseWritten: false), false), (.forwarding(requestRead: false, responseWritten: true), false),
        (.forwarding(requestRead: true, responseWritten: false), true),
    ])
    func whoWaitsForAnAnswer(state: Machine.State, awaits: Bool) {
        var machine = Machine()
        switch state {
        case .idle: break
        case .reading: machine.startDelivery()
        case .answering:
            machine.startDelivery()
            _ = machine.received(.end)
        case .closing: machine.answered(close: true)
        case .forwarding(let read, let written):
            machine.startForwarding()
            if written { _ = machine.routerResponseEnded() }
            if read { _ = machine.received(.end) }
        }
        #expect(machine.state == state)
        #expect(machine.awaitsAnswer == awaits)
        #expect(machine.isBusy(holding: false) == awaits)
        #expect(machine.isBusy(holding: true))
    }

    /// Sixteen answers in one turn, then new requests wait for the event loop's next turn.
    @Test func answersPerTurnAreBounded() {
        var machine = Machine()
        for _ in 0..<Machine.answersPerTurn {
            #expect(!machine.mustYield)
            machine.startDelivery()
            _ = machine.received(.end)
            machine.answered(close: false)
            machine.becomeIdle()
        }
        #expect(machine.mustYield)
        let result3 = machine.startYielding()
        #expect(result3)
        let result4 = machine.startYielding()
        #expect(!result4, "one next turn is scheduled at a time")
        machine.readCompleted()
        #expect(machine.mustYield, "a read completing while yielding does not start a new turn")
        let result5 = machine.nextTurn()
        #expect(result5)
        #expect(!machine.mustYield)
        #expect(machine.answeredThisTurn == 0)
    }

    @Test func aReadCompletingStartsANewTurn() {
        var machine = Machine()
        for _ in 0..<Machine.answersPerTurn { machine.answered(close: false) }
        #expect(machine.mustYield)
        machine.readCompleted()
        #expect(!machine.mustYield)
    }

    @Test func onlyAnIdleConnectionYields() {
        var machine = Machine()
        for _ in 0..<Machine.answersPerTurn { machine.answered(close: false) }
        machine.startDelivery()
        #expect(!machine.mustYield, "a request being read goes on")
        let result6 = machine.nextTurn()
        #expect(!result6, "held requests wait while one is being read")
    }
}
