import Crypto

/// HMAC-SHA256 (RFC 2104) for one key, with the key's padded blocks hashed once, up front.
///
/// A MAC then costs hashing the message plus two 32-byte finishing steps on copies of the prepared states. The
/// generic `HMAC<SHA256>` of swift-crypto takes `DataProtocol` through generic code and allocates on every step, which
/// costs several times the hashing itself (docs/performance.md). The hash is
/// swift-crypto's SHA-256 all the same; tests check this against `HMAC<SHA256>` for short, block-sized and long keys.
struct PreparedHMAC: Sendable {
    private static let blockSize = 64
    /// SHA-256 having absorbed key ⊕ ipad, and key ⊕ opad.
    private let inner: SHA256
    private let outer: SHA256

    init(key: [UInt8]) {
        var block = key.count > Self.blockSize ? Array(SHA256.hash(data: key)) : key
        block += [UInt8](repeating: 0, count: Self.blockSize - block.count)
        var inner = SHA256()
        var outer = SHA256()
        inner.update(data: block.map { $0 ^ 0x36 })
        outer.update(data: block.map { $0 ^ 0x5C })
        self.inner = inner
        self.outer = outer
    }

    /// The MAC of what `message` feeds to the hash (in as many pieces as it likes).
    func code(_ message: (inout SHA256) -> Void) -> SHA256Digest {
        var inner = self.inner
        message(&inner)
        var outer = self.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize()
    }

    /// Whether `mac` equals the computed `code`, compared in constant time (the time depends only on the length).
    static func equal(_ code: SHA256Digest, _ mac: [UInt8]) -> Bool {
        guard mac.count == SHA256.byteCount else { return false }
        return code.withUnsafeBytes { expected in
            var difference: UInt8 = 0
            for i in 0..<SHA256.byteCount { difference |= expected[i] ^ mac[i] }
            return difference == 0
        }
    }
}
