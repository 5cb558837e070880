import Foundation
import HookbayJSON
import Logging

/// A swift-log handler writing one JSON object per line to standard error: `ts`, `level`, `label`, `message`, then
/// the metadata (`platform`, `event_id`, `stream_id`, `hb.request.id`, ...) as string fields.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    /// Metadata computed when a line is written (e.g. a request id).
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var members: [String: JSONValue] = [
            "ts": .string(Self.timestamp()),
            "level": .string(event.level.rawValue),
            "label": .string(label),
            "message": .string("\(event.message)"),
        ]
        var merged = self.metadata
        if let provided = self.metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for (key, value) in merged where members[key] == nil {
            members[key] = .string("\(value)")
        }
        var line = CanonicalJSON.encode(.object(members))
        line.append(0x0A)
        // One write per line, so concurrent lines never interleave.
        FileHandle.standardError.write(Data(line))
    }

    private static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}
