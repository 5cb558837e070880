/// Exponential backoff with jitter for retryable processing failures: YAML `retry: {max_attempts, base_delay_ms,
/// max_delay_ms}`.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included; after the last failed one the event is dead-lettered. Default 5.
    public var maxAttempts: Int
    /// Delay after the first failure. Default 1000 ms.
    public var baseDelayMilliseconds: Int64
    /// Longest delay. Default 600,000 ms (10 minutes).
    public var maxDelayMilliseconds: Int64
    /// Deliveries of an entry, processed alone after its worker stopped without settling it, that may end the same
    /// way (the process crashed, was killed or hung) before the entry is dead-lettered unprocessed: a poison event
    /// cannot crash workers for ever. Default 5.
    public var maxDeliveries: Int = 5

    public init(maxAttempts: Int = 5, baseDelayMilliseconds: Int64 = 1000, maxDelayMilliseconds: Int64 = 600_000) {
        self.maxAttempts = maxAttempts
        self.baseDelayMilliseconds = baseDelayMilliseconds
        self.maxDelayMilliseconds = maxDelayMilliseconds
    }

    /// Whether another attempt follows `failedAttempts` failures.
    public func shouldRetry(afterFailedAttempts failedAttempts: Int) -> Bool {
        failedAttempts < maxAttempts
    }

    /// The wait after `failedAttempts` failures: `base × 2^(n-1)`, capped, then scaled by `jitter` in 0.5...1
    /// ("equal jitter": never less than half the backoff, so retries spread without collapsing to zero).
    public func delayMilliseconds(afterFailedAttempts failedAttempts: Int, jitter: Double = Double.random(in: 0.5...1)) -> Int64 {
        let exponent = min(max(failedAttempts - 1, 0), 40)
        let (raw, overflow) = baseDelayMilliseconds.multipliedReportingOverflow(by: Int64(1) << exponent)
        let capped = overflow ? maxDelayMilliseconds : min(raw, maxDelayMilliseconds)
        return max(1, Int64((Double(capped) * min(max(jitter, 0.5), 1)).rounded()))
    }
}
