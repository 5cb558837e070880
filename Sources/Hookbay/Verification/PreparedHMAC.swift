import Crypto

/// HMAC (RFC 2104) for one key and hash (SHA-256, or SHA-1 and SHA-512 for senders that use them), with the key's
/// padded blocks hashed once, up front.
///
/// A MAC then costs hashing the message plus two finishing steps on copies of the prepared states. The generic
/// `HMAC<H>` of swift-crypto takes `DataProtocol` through generic code and allocates on every step, which costs several
/// times the hashing itself (docs/performance.md). The hash is swift-crypto's all the same; tests check this against
/// `HMAC<H>` for short, block-sized and long keys.
struct PreparedHMAC<H: HashFunction & Sendable>: Sendable {
    /// The hash having absorbed key ⊕ ipad, and key ⊕ opad.
    private let inner: H
    private let outer: H

    init(key: [UInt8]) {
        let blockSize = H.blockByteCount
        var block = key.count > blockSize ? Array(H.hash(data: key)) : key
        block += [UInt8](repeating: 0, count: blockSize - block.count)
        var inner = H()
        var outer = H()
        inner.update(data: block.map { $0 ^ 0x36 })
        outer.update(data: block.map { $0 ^ 0x5C })
        self.inner = inner
        self.outer = outer
    }

    /// The MAC of what `message` feeds to the hash (in as many pieces as it likes).
    func code(_ message: (inout H) -> Void) -> H.Digest {
        var inner = self.inner
        message(&inner)
        var outer = self.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize()
    }

    /// Whether `mac` equals the computed `code`, compared in constant time (the time depends only on the length).
    static func equal(_ code: H.Digest, _ mac: [UInt8]) -> Bool {
        code.withUnsafeBytes { ConstantTime.equal($0, mac) }
    }
}
