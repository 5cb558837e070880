import Testing

@testable import HookbayJSON

/// The word-at-a-time scan against the byte-at-a-time definition, for every byte value at every position of a word.
@Suite struct ByteScanTests {
    static func naive(_ bytes: [UInt8], from start: Int, nonASCII: Bool) -> Int {
        bytes[start...].firstIndex { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 || (nonASCII && $0 >= 0x80) } ?? bytes.count
    }

    @Test(arguments: [false, true])
    func findsTheFirstSpecialByte(nonASCII: Bool) {
        for length in [0, 1, 7, 8, 9, 16, 23, 40] {
            for position in 0..<max(length, 1) {
                for value in 0...255 {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    if position < length { bytes[position] = UInt8(value) }
                    // A second special byte further on must not hide the first (nor a borrow invent an earlier one).
                    if position + 3 < length { bytes[position + 3] = 0x01 }
                    for start in Set([0, min(position, length), min(1, length)]) {
                        let found = bytes.withUnsafeBufferPointer { ByteScan.firstSpecial(in: $0, from: start, nonASCII: nonASCII) }
                        guard found == Self.naive(bytes, from: start, nonASCII: nonASCII) else {
                            Issue.record("length \(length), byte \(value) at \(position), from \(start): got \(found)")
                            return
                        }
                    }
                }
            }
        }
    }
}
