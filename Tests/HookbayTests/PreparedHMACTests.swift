import Crypto
import HookbayTestSupport
import Testing

@testable import Hookbay

/// The verifier's own HMAC construction against swift-crypto's `HMAC<SHA256>`.
@Suite struct PreparedHMACTests {
    /// Keys shorter than, equal to and longer than SHA-256's 64-byte block (a long key is hashed first).
    @Test(arguments: [1, 6, 32, 63, 64, 65, 200])
    func matchesSwiftCrypto(keyLength: Int) {
        let key = (0..<keyLength).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let prepared = PreparedHMAC<SHA256>(key: key)
        for bodyLength in [0, 1, 55, 56, 64, 615, 4096] {
            let body = (0..<bodyLength).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 7) }
            let expected = Array(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: key)))
            let code = prepared.code { hash in body.withUnsafeBytes { hash.update(bufferPointer: $0) } }
            #expect(Array(code) == expected, "key \(keyLength) bytes, body \(bodyLength) bytes")
            // Fed in two pieces, as the timestamped schemes do (prefix, then body).
            let split = bodyLength / 3
            let pieces = prepared.code { hash in
                body[..<split].withUnsafeBytes { hash.update(bufferPointer: $0) }
                body[split...].withUnsafeBytes { hash.update(bufferPointer: $0) }
            }
            #expect(Array(pieces) == expected)
            #expect(PreparedHMAC<SHA256>.equal(prepared.code { hash in body.withUnsafeBytes { hash.update(bufferPointer: $0) } }, expected))
        }
    }

    @Test func refusesAnyOtherCode() {
        let prepared = PreparedHMAC<SHA256>(key: Array("s3cret".utf8))
        let body = Array("payload".utf8)
        let feed: (inout SHA256) -> Void = { hash in body.withUnsafeBytes { hash.update(bufferPointer: $0) } }
        let good = Array(prepared.code(feed))
        for i in 0..<good.count {
            var bad = good
            bad[i] ^= 0x01
            #expect(!PreparedHMAC<SHA256>.equal(prepared.code(feed), bad))
        }
        #expect(!PreparedHMAC<SHA256>.equal(prepared.code(feed), Array(good.dropLast())))
        #expect(!PreparedHMAC<SHA256>.equal(prepared.code(feed), []))
        // Copies of the prepared states: using it must not change it.
        #expect(Array(prepared.code(feed)) == good)
    }
}
