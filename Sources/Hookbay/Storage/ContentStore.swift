import HookbayPluginKit
import Logging

/// The content database the workers write: SQLite (``SQLiteContentStore``, the zero-set-up default) or PostgreSQL
/// (``PostgresContentStore``, for workers on several machines), with the same schema and semantics.
///
/// Applying an event is idempotent and ordered: the accepted delivery (its queue entry id) is recorded in
/// `applied_events` in the same transaction as its updates, so a redelivery of that entry changes nothing, while the
/// same event accepted again after its dedup TTL is a new delivery and is applied again; and an update carrying an
/// older event time than the row's never overwrites it. Each `applied_events` row counts the times its updates were
/// written (`applications`, always 1 unless idempotency is broken: the fault-injection ledger checks it).
public protocol ContentStore: Sendable {
    /// Creates or migrates the schema; retries while the server cannot be reached, up to `timeout`. Called once at
    /// start, before the first ``apply(_:)``.
    func prepare(timeout: Duration, logger: Logger) async throws(ContentStoreError)

    /// Applies several events in one transaction (all or none), each once; the outcomes in the same order.
    /// ``ContentStoreError/unavailable(_:)`` means nothing was applied and the same call may succeed later;
    /// ``ContentStoreError/refused(_:)`` that the database refused some event's data and will again.
    func apply(_ events: [ContentApplication]) async throws(ContentStoreError) -> [ApplyOutcome]

    /// The row for one piece of content.
    func content(platform: String, contentID: String) async throws(ContentStoreError) -> ContentRecord?

    /// Deletes the `applied_events` rows of `platforms` recorded before `cutoff` (Unix ms); returns how many. Delivery
    /// ids are queue entry ids, which begin with their acceptance time in ms, so the deletion is a range of the
    /// primary key.
    @discardableResult
    func pruneAppliedEvents(olderThanMilliseconds cutoff: Int64, platforms: [String]) async throws(ContentStoreError) -> Int

    /// The number of times the updates of each of `platform`'s applied deliveries were written, by delivery id (each
    /// should be 1).
    func applications(platform: String) async throws(ContentStoreError) -> [String: Int]

    /// How many deliveries of `platform` were applied (each once).
    func appliedEventCount(platform: String) async throws(ContentStoreError) -> Int

    /// Whether any delivery of `eventID` of `platform` was applied.
    func wasApplied(platform: String, eventID: String) async throws(ContentStoreError) -> Bool
}

extension ContentStore {
    /// Applies `updates` derived from one event, once per delivery.
    /// - Parameters:
    ///   - deliveryID: the accepted delivery; default `eventID`.
    ///   - eventTime: Unix ms that orders this event against others for the same content.
    public func apply(
        platform: String, deliveryID: String? = nil, eventID: String, eventType: String, eventTime: Int64,
        updates: [ContentUpdate]
    ) async throws(ContentStoreError) -> ApplyOutcome {
        try await self.apply([
            ContentApplication(
                platform: platform, deliveryID: deliveryID ?? eventID, eventID: eventID, eventType: eventType,
                eventTime: eventTime, updates: updates)
        ])[0]
    }
}
