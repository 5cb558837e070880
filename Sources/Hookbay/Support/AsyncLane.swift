/// Runs one body at a time, in the order they came: an asynchronous lock that never blocks a thread.
///
/// Used where work must take turns across tasks: suspects processed alone after a crash (one in flight per process,
/// so that when one crashes it, no innocent one beside it is counted as interrupted too: ``QueueWorker``), and the
/// content database's migrations (the first worker does them, the others find them done).
actor AsyncLane {
    /// The lane every worker of this process shares for its suspects.
    static let suspects = AsyncLane()

    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Runs `body` when no other body of this lane is running.
    func run<T: Sendable, Failure: Error>(_ body: @Sendable () async throws(Failure) -> T) async throws(Failure) -> T {
        await self.acquire()
        let result: Result<T, Failure>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        self.release()
        return try result.get()
    }

    private func acquire() async {
        guard self.busy else {
            self.busy = true
            return
        }
        await withCheckedContinuation { self.waiting.append($0) }
    }

    private func release() {
        if self.waiting.isEmpty {
            self.busy = false
        } else {
            self.waiting.removeFirst().resume()
        }
    }
}
