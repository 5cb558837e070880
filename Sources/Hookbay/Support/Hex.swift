import Foundation

/// Lowercase hex encoding.
enum Hex {
    static func encode(_ bytes: some ContiguousBytes) -> String {
        bytes.withUnsafeBytes { bytes in
            String(unsafeUninitializedCapacity: bytes.count * 2) { out in
                for (i, byte) in bytes.enumerated() {
                    out[2 * i] = Self.digit(byte >> 4)
                    out[2 * i + 1] = Self.digit(byte & 0x0F)
                }
                return bytes.count * 2
            }
        }
    }

    private static func digit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
