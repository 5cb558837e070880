import Foundation
import HookbayTestSupport
import Testing

@testable import Hookbay

/// The hand-written RFC 3339 reader agrees with Foundation's and refuses what is not a time.
@Suite struct EventTimeTests {
    @Test func knownInstants() {
        #expect(EventTime.milliseconds(rfc3339: "1970-01-01T00:00:00Z") == 0)
        #expect(EventTime.milliseconds(rfc3339: "2025-12-06T00:00:00Z") == 1_764_979_200_000)
        #expect(EventTime.milliseconds(rfc3339: "2025-12-06T01:30:00.25+01:30") == 1_764_979_200_250)
        #expect(EventTime.milliseconds(rfc3339: "2025-12-05t19:00:00.123456-05:00") == 1_764_979_200_123)
        #expect(EventTime.milliseconds(rfc3339: "2024-02-29T12:00:00z") == 1_709_208_000_000)
        #expect(EventTime.milliseconds(rfc3339: "1969-12-31T23:59:59Z") == -1000)
        #expect(EventTime.milliseconds(rfc3339: "1764979200") == 1_764_979_200_000)
    }

    @Test(arguments: [
        "", "2025-12-06", "2025-12-06T00:00:00", "2025-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
        "2025-12-32T00:00:00Z", "2025-12-06T24:00:00Z", "2025-12-06T00:60:00Z", "2025-12-06T00:00:00.Z",
        "2025-12-06T00:00:00+0100", "2025-12-06T00:00:00Z ", " 2025-12-06T00:00:00Z", "2025-12-06 00:00:00Z",
        "２０２５-12-06T00:00:00Z", "99999999999999999999", "9223372036854775807",
    ])
    func refusals(text: String) {
        #expect(EventTime.milliseconds(rfc3339: text) == nil, "\(text)")
    }

    @Test func agreesWithFoundationOnRandomInstants() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let milliseconds = Int64.random(in: -2_000_000_000_000...4_000_000_000_000, using: &generator)
            let offset = Int.random(in: -14...14) * 3600 + [0, 1800, 2700].randomElement()!
            formatter.timeZone = TimeZone(secondsFromGMT: offset)
            let text = formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
            #expect(EventTime.milliseconds(rfc3339: text) == milliseconds, "\(text)")
        }
    }
}
