import CZlib
import NIOCore

/// A request body's `Content-Encoding` undone: `gzip` (`x-gzip`) and `deflate` (zlib-wrapped, or raw as some senders
/// send it), inflated with zlib, with bounds.
///
/// A platform decodes only the codings its file lists (`content_encoding:`): inflating is work done before the
/// signature is known good, so a platform that does not expect compressed bodies answers them `415` without it.
/// The decoded body may be at most `limit` bytes (`--max-body-bytes`) and at most ``maxRatio`` times its encoded size
/// (past ``ratioAllowance``), so a few kilobytes cannot become a megabyte in every connection's buffer: past either,
/// a `413`. A stream that is corrupt, truncated or followed by other bytes is a `400`.
public enum ContentDecoding {
    /// How many times its encoded size a decoded body may be.
    public static let maxRatio = 100
    /// Decoded bytes allowed whatever the ratio (small bodies compress far better than large ones).
    public static let ratioAllowance = 64 * 1024

    /// Whether a `Content-Encoding` value asks for no decoding (absent, empty or `identity`).
    public static func isIdentity(_ encoding: String?) -> Bool {
        guard let encoding else { return true }
        let trimmed = encoding.trimmingOWS
        return trimmed.isEmpty || trimmed.lowercased() == "identity"
    }

    /// The most bytes a body of `encodedCount` bytes may decode to under `limit`.
    public static func bound(encodedCount: Int, limit: Int) -> Int {
        let (scaled, overflow) = encodedCount.multipliedReportingOverflow(by: Self.maxRatio)
        return min(limit, max(Self.ratioAllowance, overflow ? Int.max : scaled))
    }

    /// The decoded body, or `nil` when there is nothing to decode (no `Content-Encoding`, or `identity`).
    /// - Parameters:
    ///   - accepted: the codings the platform decodes (its `content_encoding:`); any other is a `415`.
    ///   - platform: the platform's id, for the message.
    public static func decode(
        _ body: ByteBuffer, encoding: String?, accepted: Set<PlatformConfig.ContentCoding>, platform: String = "this platform", limit: Int
    ) throws(WebhookError) -> ByteBuffer? {
        guard !Self.isIdentity(encoding), let encoding = encoding?.trimmingOWS else { return nil }
        guard let coding = PlatformConfig.ContentCoding(header: encoding) else {
            throw WebhookError(
                .unsupportedMediaType, .unsupportedEncoding,
                "Content-Encoding '\(encoding.prefix(40))' is not decoded here; send gzip, deflate or none")
        }
        guard accepted.contains(coding) else {
            throw WebhookError(
                .unsupportedMediaType, .unsupportedEncoding,
                "platform '\(platform)' does not accept Content-Encoding \(coding.rawValue); its file's content_encoding lists what it decodes"
            )
        }
        let bound = Self.bound(encodedCount: body.readableBytes, limit: limit)
        var lastError: Failure = .corrupt
        for bits in Self.windowBits(coding) {
            let result = body.withUnsafeReadableBytes { Self.inflate($0, windowBits: bits, bound: bound) }
            switch result {
            case .success(let bytes): return ByteBuffer(bytes: bytes)
            case .failure(let failure): lastError = failure
            }
            if lastError != .corrupt { break }
        }
        switch lastError {
        case .tooLarge:
            throw WebhookError(
                .contentTooLarge, .payloadTooLarge,
                "the \(coding.rawValue) body decodes to more than \(bound) bytes (at most \(limit), and \(Self.maxRatio) times its size past \(Self.ratioAllowance))"
            )
        case .corrupt:
            throw .invalidPayload("the \(coding.rawValue) body is not a valid, complete \(coding.rawValue) stream")
        case .unavailable:
            // zlib could not get memory for its state: the server's trouble, not the sender's.
            throw .serverBusy
        }
    }

    enum Failure: Error, Equatable { case corrupt, tooLarge, unavailable }

    /// zlib's window bits to try for a coding, in order.
    static func windowBits(_ coding: PlatformConfig.ContentCoding) -> [Int32] {
        switch coding {
        case .gzip: return [16 + 15]
        case .deflate: return [15, -15] // RFC 9110's zlib wrapper; raw deflate as some senders send it
        }
    }

    /// Inflates all of `input` (nothing may follow the stream's end) into at most `bound` bytes.
    static func inflate(_ input: UnsafeRawBufferPointer, windowBits: Int32, bound: Int) -> Result<[UInt8], Failure> {
        guard let base = input.baseAddress, input.count > 0 else { return .failure(.corrupt) }
        // zlib's state points back at its z_stream: it lives at one address, on the heap, for the whole inflate.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        switch inflateInit2_(stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) {
        case Z_OK: break
        case Z_MEM_ERROR: return .failure(.unavailable)
        default: return .failure(.corrupt)
        }
        defer { inflateEnd(stream) }
        // At most 4 GiB - 1 per call (uInt); a body that large was refused long before.
        guard input.count <= Int(UInt32.max) else { return .failure(.tooLarge) }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        let initial = input.count.multipliedReportingOverflow(by: 4)
        var output = [UInt8](repeating: 0, count: min(bound, max(4096, initial.overflow ? bound : initial.partialValue)) + 1)
        var written = 0
        while true {
            if written == output.count {
                // Full: one byte past the bound is the proof the body is too large.
                guard output.count <= bound else { return .failure(.tooLarge) }
                output.append(contentsOf: repeatElement(0, count: min(output.count, bound + 1 - output.count)))
            }
            let status = output.withUnsafeMutableBytes { out -> Int32 in
                let room = min(out.count - written, Int(UInt32.max))
                stream.pointee.next_out = out.baseAddress!.advanced(by: written).assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(room)
                let status = CZlib.inflate(stream, Z_NO_FLUSH)
                written += room - Int(stream.pointee.avail_out)
                return status
            }
            switch status {
            case Z_STREAM_END:
                guard stream.pointee.avail_in == 0 else { return .failure(.corrupt) }
                guard written <= bound else { return .failure(.tooLarge) }
                output.removeSubrange(written...)
                return .success(output)
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                // No progress: out of input before the end (truncated), or out of room (grown above).
                guard stream.pointee.avail_in > 0, written == output.count else { return .failure(.corrupt) }
            case Z_MEM_ERROR:
                return .failure(.unavailable)
            default:
                return .failure(.corrupt)
            }
        }
    }
}
