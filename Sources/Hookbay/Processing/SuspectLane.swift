/// One suspect at a time per process: entries processed alone after a crash (``QueueWorker``) take turns, so that when
/// one of them crashes the process, no other suspect was in flight beside it to be counted as interrupted too (an
/// innocent entry would otherwise climb towards `max_deliveries` with the culprit).
actor SuspectLane {
    /// The lane every worker of this process shares.
    static let shared = SuspectLane()

    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Runs `body` when no other suspect is in flight in this process.
    func run<T: Sendable>(_ body: @Sendable () async throws(QueueError) -> T) async throws(QueueError) -> T {
        await self.acquire()
        let result: Result<T, QueueError>
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
