import Synchronization

/// Wakes one waiting loop early: ``wait(upTo:)`` returns when ``signal()`` is called (or was, since the last wait), or
/// after the given time, whichever comes first. A signal with nobody waiting is kept for the next wait.
final class Wakeup: Sendable {
    private struct State {
        var signalled = false
        var waiter: CheckedContinuation<Void, Never>?
        /// Which wait the waiter belongs to, so a late timer does not wake a later one.
        var generation = 0
    }

    private let state = Mutex(State())

    /// Wakes the waiting loop, or the next one to wait.
    func signal() {
        let waiter = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.signalled = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns on a signal, or once `limit` has passed.
    func wait(upTo limit: Duration) async {
        let generation = self.state.withLock { state -> Int in
            state.generation &+= 1
            return state.generation
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            let waiter = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard state.generation == generation, let waiter = state.waiter else { return nil }
                state.waiter = nil
                return waiter
            }
            waiter?.resume()
        }
        defer { timer.cancel() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = self.state.withLock { state -> Bool in
                if state.signalled {
                    state.signalled = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }
}
