/// Why a delivery's signature was refused. The messages say what to fix without revealing anything of the secret.
public enum SignatureError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The signature header is absent.
    case missingHeader(String)
    /// The header is present but not of the expected form.
    case malformed(String)
    /// Well-formed, but no active secret produced it.
    case mismatch

    public var description: String {
        switch self {
        case .missingHeader(let header): return "missing \(header) header"
        case .malformed(let reason): return reason
        case .mismatch: return "signature does not match the request body"
        }
    }
}
