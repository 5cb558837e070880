import NIOCore

extension RedisClient {
    /// Runs `calls` pipelined on one connection, then `WAIT replicas timeout` on it, and answers each call's result:
    /// a call whose script ran counts only when `WAIT` confirmed that `replicas` replicas acknowledged it, and is
    /// ``RedisError/notReplicated(_:)`` otherwise. On a cluster, each primary's calls go on its connection, followed by
    /// a `WAIT` there.
    ///
    /// `WAIT` counts the acknowledgements of everything the connection wrote before it, so one `WAIT` after the scripts
    /// (and the commands preceding each, ``RedisScriptCall/preceding``) covers them all; a call the server did not know
    /// (`NOSCRIPT`) is sent again as `EVAL`, followed by a second `WAIT` on the same connection. A connection lost on the way fails what it carried: it cannot be confirmed.
    ///
    /// Redis runs nothing else from a connection blocked in `WAIT`, so a caller keeps at most one of these outstanding
    /// per client and gathers what arrives meanwhile into the next (``RedisClient`` does not queue them for it).
    public func submitScripts(
        _ calls: [RedisScriptCall], on eventLoop: any EventLoop, replicas: Int, timeout: Duration
    ) -> EventLoopFuture<[Result<RESPValue, RedisError>]> {
        self.replicatedRoute(calls, on: eventLoop, replicas: replicas, timeout: timeout)
    }

    /// `calls` and a `WAIT` on `connection` (each call preceded by `ASKING` when `asking`: a cluster node's `ASK`).
    static func replicated(
        _ calls: [RedisScriptCall], asking: Bool, on connection: RedisConnection, eventLoop: any EventLoop, replicas: Int, timeout: Duration
    ) -> EventLoopFuture<[Result<RESPValue, RedisError>]> {
        let milliseconds = Self.waitMilliseconds(timeout)
        let wait: [RedisArgument] = ["WAIT", .integer(replicas), .integer(milliseconds)]
        let waitTimeout = Duration.milliseconds(milliseconds) + connection.commandTimeout
        @Sendable func round(_ sequences: [[[RedisArgument]]]) -> EventLoopFuture<[Result<RESPValue, RedisError>]> {
            let sent = sequences.map { connection.submit(last: $0, asking: asking) }
            let replies = sent + [connection.submit(wait, timeout: waitTimeout)]
            return EventLoopFuture.whenAllComplete(replies, on: eventLoop).map { results in
                results.map { $0.mapError { RedisError($0) } }
            }
        }
        return round(calls.map { $0.sequence(eval: false) }).flatMap { first in
            let missing = calls.indices.filter {
                if case .failure(let error) = first[$0], error.serverErrorCode == "NOSCRIPT" { return true }
                return false
            }
            guard !missing.isEmpty else {
                return eventLoop.makeSucceededFuture(Self.confirmed(Array(first.dropLast()), by: first.last!, replicas, milliseconds))
            }
            return round(missing.map { calls[$0].sequence(eval: true) }).map { second in
                var results = Array(first.dropLast())
                for (index, result) in zip(missing, second) { results[index] = result }
                return Self.confirmed(results, by: second.last!, replicas, milliseconds)
            }
        }
    }

    /// `results`, with each success turned into a failure unless `acknowledged` counts at least `replicas`.
    static func confirmed(
        _ results: [Result<RESPValue, RedisError>], by acknowledged: Result<RESPValue, RedisError>, _ replicas: Int, _ milliseconds: Int
    ) -> [Result<RESPValue, RedisError>] {
        let problem: RedisError?
        switch acknowledged {
        case .success(.integer(let count)) where count >= replicas:
            problem = nil
        case .success(.integer(let count)):
            problem = .notReplicated("\(count) of \(replicas) replicas acknowledged within \(milliseconds) ms")
        case .success(let other):
            problem = .unexpectedReply("WAIT answered \(other)")
        case .failure(let error):
            problem = error
        }
        guard let problem else { return results }
        return results.map { result in result.flatMap { _ in .failure(problem) } }
    }

    /// Whole milliseconds for `WAIT`, at least 1 (0 would wait for ever) and at most a day.
    static func waitMilliseconds(_ timeout: Duration) -> Int {
        let (seconds, attoseconds) = timeout.components
        guard seconds >= 0 else { return 1 }
        guard seconds < 86_400 else { return 86_400_000 }
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
