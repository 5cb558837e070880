import HTTPTypes
import HookbayJSON
import Hummingbird

/// An answer to a refused webhook request: the HTTP status, a stable error code and a sentence for humans.
///
/// The body is always `{"error": "<code>", "message": "<sentence>"}`.
public struct WebhookError: HTTPResponseError, Sendable, Equatable, CustomStringConvertible {
    /// The error codes a client may see.
    public enum Code: String, Sendable, CaseIterable {
        case payloadTooLarge = "payload_too_large"
        case unsupportedEncoding = "unsupported_encoding"
        case unsupportedPlatform = "unsupported_platform"
        case platformDisabled = "platform_disabled"
        case ipNotAllowed = "ip_not_allowed"
        case invalidSignature = "invalid_signature"
        case rateLimitExceeded = "rate_limit_exceeded"
        case invalidPayload = "invalid_payload"
        case queueUnavailable = "queue_unavailable"
        case adapterUnavailable = "adapter_unavailable"
        case serverBusy = "server_busy"
        case secretUnavailable = "secret_unavailable"
        case notFound = "not_found"
        case methodNotAllowed = "method_not_allowed"
        case unauthorized = "unauthorized"
        case forbidden = "forbidden"
        case badRequest = "bad_request"
        case conflict = "conflict"
        case internalError = "internal_error"
    }

    public var status: HTTPResponse.Status
    public var code: Code
    public var message: String
    /// Seconds for a `Retry-After` header, when the client should come back.
    public var retryAfterSeconds: Int?

    public init(_ status: HTTPResponse.Status, _ code: Code, _ message: String, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(status.code) \(code.rawValue): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        self.response()
    }

    /// The JSON response.
    public func response() -> Response {
        Response(status: status, headers: self.headers, body: .init(byteBuffer: ByteBuffer(bytes: self.body)))
    }

    /// `Content-Type`, and `Retry-After` when set.
    var headers: HTTPFields {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        return headers
    }

    /// `{"error": "<code>", "message": "<sentence>"}`.
    var body: [UInt8] {
        var body: [UInt8] = Array(#"{"error":""#.utf8)
        body.append(contentsOf: code.rawValue.utf8)
        body.append(contentsOf: #"","message":"#.utf8)
        CanonicalJSON.writeString(message, into: &body)
        body.append(UInt8(ascii: "}"))
        return body
    }

    static func payloadTooLarge(limit: Int) -> WebhookError {
        .init(.contentTooLarge, .payloadTooLarge, "request body is larger than the limit of \(limit) bytes")
    }
    static func unsupportedPlatform(_ id: String) -> WebhookError {
        .init(.notFound, .unsupportedPlatform, "no platform named '\(id)' is configured")
    }
    static func ipNotAllowed(_ id: String, client: String) -> WebhookError {
        .init(.forbidden, .ipNotAllowed, "platform '\(id)' does not accept deliveries from \(client) (allow_ips)")
    }
    static func platformDisabled(_ id: String) -> WebhookError {
        .init(.serviceUnavailable, .platformDisabled, "platform '\(id)' is disabled; deliveries are not being accepted", retryAfterSeconds: 60)
    }
    static func invalidSignature(_ reason: SignatureError) -> WebhookError {
        .init(.unauthorized, .invalidSignature, reason.description)
    }
    static func rateLimited(_ id: String, retryAfterSeconds: Int) -> WebhookError {
        .init(
            .tooManyRequests, .rateLimitExceeded, "platform '\(id)' is over its rate limit; retry after \(retryAfterSeconds) s",
            retryAfterSeconds: retryAfterSeconds)
    }
    static func invalidPayload(_ message: String) -> WebhookError {
        .init(.badRequest, .invalidPayload, message)
    }
    static func adapterUnavailable(_ message: String) -> WebhookError {
        .init(.serviceUnavailable, .adapterUnavailable, "the platform's adapter cannot check the event now: \(message)", retryAfterSeconds: 5)
    }
    static let serverBusy = WebhookError(
        .serviceUnavailable, .serverBusy, "the server is holding its maximum of request bodies; retry later", retryAfterSeconds: 1
    )
    static func secretUnavailable(_ id: String) -> WebhookError {
        .init(
            .serviceUnavailable, .secretUnavailable,
            "platform '\(id)' has no usable secret (its secret file is missing or empty); deliveries cannot be authenticated",
            retryAfterSeconds: 30)
    }
    static let queueUnavailable = WebhookError(
        .serviceUnavailable, .queueUnavailable, "the queue is unavailable; the webhook was not accepted, retry later", retryAfterSeconds: 5
    )
}
