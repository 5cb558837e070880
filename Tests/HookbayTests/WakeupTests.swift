import Testing

@testable import Hookbay

/// The forwarder's wake-up: a signal kept for the next wait, the time limit, and cancellation each end a wait (a wait
/// that missed any of them would hang this suite until its time limit).
@Suite(.timeLimit(.minutes(1))) struct WakeupTests {
    @Test func aSignalBeforeTheWaitIsKept() async {
        let wakeup = Wakeup()
        wakeup.signal()
        await wakeup.wait(upTo: .seconds(3600))
    }

    @Test func aSignalDuringTheWaitEndsIt() async {
        let wakeup = Wakeup()
        async let waited: Void = wakeup.wait(upTo: .seconds(3600))
        try? await Task.sleep(for: .milliseconds(20))
        wakeup.signal()
        await waited
    }

    @Test func theTimeLimitEndsAWaitAgainAndAgain() async {
        let wakeup = Wakeup()
        for _ in 0..<50 { await wakeup.wait(upTo: .milliseconds(1)) }
    }

    @Test func cancellationEndsAWait() async {
        let wakeup = Wakeup()
        let task = Task { await wakeup.wait(upTo: .seconds(3600)) }
        try? await Task.sleep(for: .milliseconds(20))
        task.cancel()
        await task.value
    }
}
