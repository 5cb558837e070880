import NIOCore

/// The fields of a dead-letter entry: the original entry's, plus why and when it failed.
public enum DeadLetter {
    /// The fields added to a dead-letter entry, removed again on replay.
    public static let addedFields: Set<String> = ["error", "attempts", "original_id", "failed_at"]

    /// A dead-letter entry's original fields, for replay; without the body read from a body kept apart (the entry
    /// carries its ``StreamEntry/bodyRefField`` instead).
    public static func originalFields(of entry: StreamEntry) -> [(String, ByteBuffer)] {
        let resolved = entry.fields[StreamEntry.bodyRefField] != nil ? entry.bodyField : nil
        return entry.fields.sorted { $0.key < $1.key }.filter { !addedFields.contains($0.key) && $0.key != resolved }
    }

    /// `error`, `attempts`, `original_id` and `failed_at` (Unix ms) after the original fields (sorted by name).
    public static func fields(of entry: StreamEntry, error: String, attempts: Int) -> [(String, ByteBuffer)] {
        var fields = originalFields(of: entry)
        fields.append(("error", ByteBuffer(string: error)))
        fields.append(("attempts", ByteBuffer(string: String(attempts))))
        fields.append(("original_id", ByteBuffer(string: entry.id)))
        fields.append(("failed_at", ByteBuffer(string: String(WallClock.milliseconds()))))
        return fields
    }
}
