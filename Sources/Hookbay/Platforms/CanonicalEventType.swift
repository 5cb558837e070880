/// The three things a platform can tell Hookbay about a piece of content; every platform's own event names map to one.
public enum CanonicalEventType: String, Sendable, CaseIterable, Codable {
    case contentAdded = "content_added"
    case contentUpdated = "content_updated"
    case contentRemoved = "content_removed"
}
