/// Finds the bytes a JSON string cannot hold as they are, eight at a time.
///
/// Webhook payloads carry long plain strings (titles, descriptions): scanning them byte by byte was the largest part of
/// parsing and of canonical encoding. Eight bytes are tested at once with word arithmetic (SWAR), and the first
/// special one located from the mask.
enum ByteScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The index of the first byte at or after `start` that is `"`, `\`, a control character (< 0x20), or, when
    /// `nonASCII` is set, a byte >= 0x80; `bytes.count` when there is none.
    static func firstSpecial(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, nonASCII: Bool) -> Int {
        var index = start
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while index + 8 <= bytes.count {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let mask = Self.specialMask(word, nonASCII: nonASCII)
                if mask != 0 { return index + mask.trailingZeroBitCount / 8 }
                index += 8
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 || (nonASCII && byte >= 0x80) { return index }
            index += 1
        }
        return index
    }

    /// The high bit of each byte of `word` set where the byte is special. Exact for the lowest special byte (the
    /// borrows of the subtractions only run upward, from a byte that is itself special).
    private static func specialMask(_ word: UInt64, nonASCII: Bool) -> UInt64 {
        let quote = word ^ (Self.ones &* UInt64(UInt8(ascii: "\"")))
        let backslash = word ^ (Self.ones &* UInt64(UInt8(ascii: "\\")))
        let zeroQuote = (quote &- Self.ones) & ~quote
        let zeroBackslash = (backslash &- Self.ones) & ~backslash
        let control = (word &- Self.ones &* 0x20) & ~word
        var mask = zeroQuote | zeroBackslash | control
        if nonASCII { mask |= word }
        return mask & Self.highs
    }
}
