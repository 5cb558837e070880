import Foundation

/// Reads delivery timestamps.
public enum EventTime {
    /// Unix milliseconds of an RFC 3339 time (`2025-12-06T00:00:00Z`, fractional seconds allowed), or of Unix
    /// seconds written as digits; `nil` otherwise.
    public static func milliseconds(rfc3339 text: String) -> Int64? {
        if let seconds = Int64(text) { return seconds * 1000 }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970 * 1000) }
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970 * 1000) }
        return nil
    }
}
