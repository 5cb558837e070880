import CZlib

/// Compresses bytes as a sender would (zlib, the library the gateway inflates with, used the other way).
public enum Deflate {
    public enum Format: Sendable {
        case gzip
        /// RFC 1950, what `Content-Encoding: deflate` means.
        case zlib
        /// Raw deflate, as some senders send `deflate`.
        case raw
    }

    public static func compress(_ input: [UInt8], _ format: Format) -> [UInt8] {
        var stream = z_stream()
        let bits: Int32 = format == .gzip ? 16 + 15 : format == .zlib ? 15 : -15
        precondition(
            deflateInit2_(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
                == Z_OK)
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 64)
        var input = input
        let status = input.withUnsafeMutableBytes { inp in
            output.withUnsafeMutableBytes { out -> Int32 in
                stream.next_in = inp.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(inp.count)
                stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(out.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        precondition(status == Z_STREAM_END)
        return Array(output.prefix(Int(stream.total_out)))
    }
}
