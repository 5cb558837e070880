import Foundation

/// Wall-clock time as Unix milliseconds: for stream ids, TTLs and `received_at`, never for measuring intervals.
public enum WallClock {
    @Sendable public static func milliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}
