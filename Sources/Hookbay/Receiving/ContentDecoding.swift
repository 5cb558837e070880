import CZlib
import NIOCore

/// A request body's `Content-Encoding` undone: `gzip` (`x-gzip`) and `deflate` (zlib-wrapped, or raw as some senders
/// send it), inflated with zlib, with bounds.
///
/// The decoded body may be at most `limit` bytes (`--max-body-bytes`) and at most ``maxRatio`` times its encoded size
/// (past ``ratioAllowance``), so a few kilobytes cannot become a megabyte in every connection's buffer: past either,
/// a `413`. A stream that is corrupt, truncated or followed by other bytes is a `400`; an encoding Hookbay does not
/// decode is a `415`.
public enum ContentDecoding {
    /// How many times its encoded size a decoded body may be.
    public static let maxRatio = 100
    /// Decoded bytes allowed whatever the ratio (small bodies compress far better than large ones).
    public static let ratioAllowance = 64 * 1024

    /// The decoded body, or `nil` when there is nothing to decode (no `Content-Encoding`, or `identity`).
    public static func decode(_ body: ByteBuffer, encoding: String?, limit: Int) throws(WebhookError) -> ByteBuffer? {
        guard let encoding = encoding?.trimmingASCIISpaces.lowercased(), !encoding.isEmpty, encoding != "identity" else { return nil }
        let windowBits: [Int32]
        switch encoding {
        case "gzip", "x-gzip": windowBits = [16 + 15]
        case "deflate": windowBits = [15, -15] // RFC 9110's zlib wrapper; raw deflate as some senders send it
        default:
            throw WebhookError(
                .unsupportedMediaType, .unsupportedEncoding,
                "Content-Encoding '\(encoding.prefix(40))' is not decoded here; send gzip, deflate or none")
        }
        let bound = min(limit, max(Self.ratioAllowance, body.readableBytes.multipliedReportingOverflow(by: Self.maxRatio).partialValue))
        var lastError: Failure = .corrupt
        for bits in windowBits {
            let result = body.withUnsafeReadableBytes { Self.inflate($0, windowBits: bits, bound: bound) }
            switch result {
            case .success(let bytes): return ByteBuffer(bytes: bytes)
            case .failure(let failure): lastError = failure
            }
            if case .tooLarge = lastError { break }
        }
        switch lastError {
        case .tooLarge:
            throw WebhookError(
                .contentTooLarge, .payloadTooLarge,
                "the \(encoding) body decodes to more than \(bound) bytes (at most \(limit), and \(Self.maxRatio) times its size past \(Self.ratioAllowance))"
            )
        case .corrupt:
            throw .invalidPayload("the \(encoding) body is not a valid, complete \(encoding) stream")
        }
    }

    enum Failure: Error { case corrupt, tooLarge }

    /// Inflates all of `input` (nothing may follow the stream's end) into at most `bound` bytes.
    static func inflate(_ input: UnsafeRawBufferPointer, windowBits: Int32, bound: Int) -> Result<[UInt8], Failure> {
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return .failure(.corrupt) }
        defer { inflateEnd(&stream) }
        guard let base = input.baseAddress, input.count > 0 else { return .failure(.corrupt) }
        stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        var output = [UInt8](repeating: 0, count: min(bound, max(4096, input.count * 4)) + 1)
        var written = 0
        while true {
            if written == output.count {
                // Full: one byte past the bound is the proof the body is too large.
                guard output.count <= bound else { return .failure(.tooLarge) }
                output.append(contentsOf: repeatElement(0, count: min(output.count, bound + 1 - output.count)))
            }
            let status = output.withUnsafeMutableBytes { out -> Int32 in
                stream.next_out = out.baseAddress!.advanced(by: written).assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(out.count - written)
                let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                written = out.count - Int(stream.avail_out)
                return status
            }
            switch status {
            case Z_STREAM_END:
                guard stream.avail_in == 0 else { return .failure(.corrupt) }
                guard written <= bound else { return .failure(.tooLarge) }
                output.removeSubrange(written...)
                return .success(output)
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                // No progress: out of input before the end (truncated), or out of room (grown above).
                guard stream.avail_in > 0, written == output.count else { return .failure(.corrupt) }
            default:
                return .failure(.corrupt)
            }
        }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmingASCIISpaces: Substring {
        let utf8 = self.utf8
        let start = utf8.firstIndex { $0 != 0x20 && $0 != 0x09 } ?? utf8.endIndex
        let end = utf8.lastIndex { $0 != 0x20 && $0 != 0x09 }.map { utf8.index(after: $0) } ?? start
        return self[start..<end]
    }
}
