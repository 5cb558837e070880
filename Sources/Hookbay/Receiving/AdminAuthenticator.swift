import Crypto
import HTTPTypes
import Hummingbird

/// Guards the admin endpoints with `Authorization: Bearer $HOOKBAY_ADMIN_TOKEN`.
///
/// Tokens are compared in constant time (over their SHA-256 digests, so the length leaks nothing either). Without a
/// configured token the admin endpoints are off and say how to turn them on.
public struct AdminAuthenticator: Sendable {
    private let tokenDigest: [UInt8]?

    public init(token: String?) {
        self.tokenDigest = token.flatMap { $0.isEmpty ? nil : ConstantTime.digest($0.utf8) }
    }

    /// Throws 403 when no token is configured, 401 when the request's is missing or wrong.
    public func authenticate(_ request: Request) throws(WebhookError) {
        guard let expected = self.tokenDigest else {
            throw WebhookError(.forbidden, .forbidden, "admin endpoints are disabled: set HOOKBAY_ADMIN_TOKEN to enable them")
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw WebhookError(.unauthorized, .unauthorized, "missing Authorization: Bearer <admin token>")
        }
        guard ConstantTime.equal(ConstantTime.digest(header.dropFirst("Bearer ".count).utf8), expected) else {
            throw WebhookError(.unauthorized, .unauthorized, "the admin token is not valid")
        }
    }
}
