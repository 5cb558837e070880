import Synchronization

/// Wakes one waiting loop early: ``wait(upTo:)`` returns when ``signal()`` is called (or was, since the last wait), after
/// the given time, or when its task is cancelled, whichever comes first. A signal with nobody waiting is kept for the
/// next wait.
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

    /// Returns on a signal, once `limit` has passed, or when the task is cancelled.
    func wait(upTo limit: Duration) async {
        var timer: Task<Void, Never>?
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                // The waiter is stored before its timer starts, under one lock with the check for a kept signal, so
                // neither a signal nor the timer can miss it.
                let generation = self.state.withLock { state -> Int? in
                    if state.signalled {
                        state.signalled = false
                        return nil
                    }
                    state.generation &+= 1
                    state.waiter = continuation
                    return state.generation
                }
                guard let generation else {
                    continuation.resume()
                    return
                }
                timer = Task {
                    try? await Task.sleep(for: limit)
                    let waiter = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                        guard state.generation == generation, let waiter = state.waiter else { return nil }
                        state.waiter = nil
                        return waiter
                    }
                    waiter?.resume()
                }
            }
        } onCancel: {
            self.signal()
        }
        timer?.cancel()
        // A cancelled wait may leave its signal kept: harmless, the loop looks once more.
    }
}
