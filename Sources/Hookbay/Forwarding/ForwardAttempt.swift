/// What one attempt to deliver to a destination came to, and what follows from it.
public enum ForwardAttempt {
    /// How the attempt ended.
    public enum Result: Sendable, Equatable {
        /// The destination answered: its status and its `Retry-After` header, if any.
        case answered(status: Int, retryAfter: String?)
        /// No answer: the connection failed or broke, or the attempt timed out.
        case failed(String)
        /// Not attempted: no address of the destination may be connected to (``ForwardNetworkPolicy``).
        case refused(String)
    }

    /// What to do with the delivery.
    public enum Decision: Sendable, Equatable {
        case delivered
        /// Attempt again after this wait.
        case retry(afterMilliseconds: Int64, reason: String)
        /// Give up: the delivery goes to the destination's dead letters, with this reason.
        case deadLetter(reason: String)
    }

    /// The decision after an attempt that ended with `result`, `failedBefore` attempts having failed already.
    ///
    /// A 2xx delivers. A refused address dead-letters at once (it will not change by waiting). Anything else is a
    /// failure: retried with the destination's backoff (and jitter) until `retry.max_attempts` attempts have failed,
    /// then dead-lettered. A 429 or 503 with `Retry-After` waits what it asks, within one second and
    /// `retry.max_delay_ms` (a receiver cannot park a delivery for a year). Redirects are not followed: a 3xx is a
    /// failure that says so.
    /// - Parameters:
    ///   - now: Unix seconds, for an HTTP-date `Retry-After`.
    ///   - jitter: the backoff's jitter, in 0.5...1.
    public static func decide(
        _ result: Result, failedBefore: Int, retry: RetryPolicy, now: Int64, jitter: Double = Double.random(in: 0.5...1)
    ) -> Decision {
        let reason: String
        var asked: Int64?
        switch result {
        case .answered(let status, _) where (200...299).contains(status):
            return .delivered
        case .refused(let why):
            return .deadLetter(reason: why)
        case .answered(let status, let retryAfter):
            switch status {
            case 300...399: reason = "answered \(status): redirects are not followed"
            case 429, 503:
                reason = "answered \(status)"
                asked = retryAfter.flatMap { Self.retryAfterMilliseconds($0, now: now) }
            default: reason = "answered \(status)"
            }
        case .failed(let why):
            reason = why
        }
        // Counted without a trap, whatever the count read back says.
        let (next, overflow) = max(0, failedBefore).addingReportingOverflow(1)
        let failed = overflow ? Int.max : next
        guard retry.shouldRetry(afterFailedAttempts: failed) else {
            return .deadLetter(reason: "\(reason) (attempt \(failed) of \(retry.maxAttempts), the last)")
        }
        if let asked {
            return .retry(afterMilliseconds: min(max(asked, 1000), retry.maxDelayMilliseconds), reason: reason)
        }
        return .retry(afterMilliseconds: retry.delayMilliseconds(afterFailedAttempts: failed, jitter: jitter), reason: reason)
    }

    /// `Retry-After` as milliseconds from `now` (Unix seconds): delay-seconds (up to 10 digits) or an IMF-fixdate
    /// (`Sun, 06 Nov 1994 08:49:37 GMT`); `nil` for anything else. A date in the past is 0.
    public static func retryAfterMilliseconds(_ text: String, now: Int64) -> Int64? {
        let value = text.utf8.count <= 64 ? Substring(text).trimmingSpaces : ""
        if !value.isEmpty, value.utf8.count <= 10, value.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let seconds = Int64(value)
        {
            return seconds * 1000
        }
        guard let date = Self.imfFixdate(value) else { return nil }
        // A date is at most year 9999: the difference is bounded unless `now` is absurd, and then it saturates.
        let (seconds, overflow) = date.subtractingReportingOverflow(now)
        guard !overflow else { return now > date ? 0 : Int64.max / 1000 * 1000 }
        let (milliseconds, tooLong) = max(0, seconds).multipliedReportingOverflow(by: 1000)
        return tooLong ? Int64.max / 1000 * 1000 : milliseconds
    }

    /// Unix seconds of an IMF-fixdate (RFC 9110 5.6.7), the one HTTP-date form senders must use.
    static func imfFixdate(_ text: Substring) -> Int64? {
        let bytes = Array(text.utf8)
        // "Sun, 06 Nov 1994 08:49:37 GMT"
        guard bytes.count == 29, bytes[3] == UInt8(ascii: ","), bytes[4] == 0x20, bytes[7] == 0x20, bytes[11] == 0x20,
            bytes[16] == 0x20, bytes[19] == UInt8(ascii: ":"), bytes[22] == UInt8(ascii: ":"), bytes[25] == 0x20,
            String(decoding: bytes[26...], as: UTF8.self) == "GMT"
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            guard bytes[range].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
            return Int64(String(decoding: bytes[range], as: UTF8.self))
        }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let day = number(5..<7), let year = number(12..<16), let hour = number(17..<19), let minute = number(20..<22),
            let second = number(23..<25), let month = months.firstIndex(of: String(decoding: bytes[8..<11], as: UTF8.self)),
            (1...31).contains(day), (1970...9999).contains(year), hour < 24, minute < 60, second < 61
        else { return nil }
        // Days from 1970-01-01 to the date (proleptic Gregorian; Howard Hinnant's days_from_civil).
        let y = year - (month < 2 ? 1 : 0)
        let era = y / 400
        let yearOfEra = y - era * 400
        let m = Int64(month + 1)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + hour * 3600 + minute * 60 + second
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
