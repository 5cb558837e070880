import Crypto

/// Comparing secrets and MACs without the time telling where they differ.
enum ConstantTime {
    /// Whether `a` and `b` are equal, looking at every byte (the time depends only on the length; different lengths
    /// are unequal at once, so compare values of a public length: MACs, or ``digest(_:)``s).
    @inline(__always)
    static func equal(_ a: some RandomAccessCollection<UInt8>, _ b: some RandomAccessCollection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    /// A secret's SHA-256 digest: what tokens are compared by, so the compare's length never depends on the secret's.
    static func digest(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        Array(SHA256.hash(data: Array(bytes)))
    }

    /// Whether two secrets of any length are equal, compared by their digests.
    static func equalSecrets(_ a: some Sequence<UInt8>, _ b: some Sequence<UInt8>) -> Bool {
        Self.equal(Self.digest(a), Self.digest(b))
    }
}
