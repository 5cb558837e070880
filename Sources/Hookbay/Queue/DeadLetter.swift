import NIOCore

/// The fields of a dead-letter entry: the original entry's, plus why and when it failed.
public enum DeadLetter {
    /// `error`, `attempts`, `original_id` and `failed_at` (Unix ms) after the original fields (sorted by name).
    public static func fields(of entry: StreamEntry, error: String, attempts: Int) -> [(String, ByteBuffer)] {
        var fields = entry.fields.sorted { $0.key < $1.key }.filter { !["error", "attempts", "original_id", "failed_at"].contains($0.key) }
        fields.append(("error", ByteBuffer(string: error)))
        fields.append(("attempts", ByteBuffer(string: String(attempts))))
        fields.append(("original_id", ByteBuffer(string: entry.id)))
        fields.append(("failed_at", ByteBuffer(string: String(WallClock.milliseconds()))))
        return fields
    }
}
