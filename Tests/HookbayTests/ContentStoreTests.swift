import Foundation
import HookbayJSON
import HookbayPluginKit
import HookbayTestSupport
import Testing

@testable import Hookbay

@Suite struct ContentStoreTests {
    func store() throws -> ContentStore {
        try ContentStore(path: Fixtures.configDirectory([:]) + "/content.sqlite")
    }

    @Test func appliesOnceOnly() async throws {
        let store = try store()
        let update = ContentUpdate(contentID: "c1", action: .upsert, title: "One", contentType: "movie", attributes: ["a": .number("1")])
        #expect(try await store.apply(platform: "p", eventID: "e1", eventType: "content_added", eventTime: 100, updates: [update]) == .applied)
        #expect(try await store.apply(platform: "p", eventID: "e1", eventType: "content_added", eventTime: 100, updates: [update]) == .alreadyApplied)
        let row = try #require(try await store.content(platform: "p", contentID: "c1"))
        #expect(row.title == "One")
        #expect(row.contentType == "movie")
        #expect(row.status == .active)
        #expect(row.attributes == .object(["a": .number("1")]))
        #expect(row.lastEventID == "e1")
        #expect(try await store.appliedEventCount(platform: "p") == 1)
        #expect(try await store.content(platform: "other", contentID: "c1") == nil)
    }

    /// Idempotency is per accepted delivery: a redelivery of the same queue entry changes nothing; the same event
    /// accepted again (after its dedup TTL, a new entry) is applied again. Every row records one write.
    @Test func idempotencyIsKeyedByTheDelivery() async throws {
        let store = try store()
        func apply(_ delivery: String, title: String, time: Int64) async throws -> ContentStore.ApplyOutcome {
            try await store.apply(
                platform: "p", deliveryID: delivery, eventID: "same-hash", eventType: "content_updated", eventTime: time,
                updates: [ContentUpdate(contentID: "c", action: .upsert, title: title)])
        }
        #expect(try await apply("1000-0", title: "first", time: 1) == .applied)
        #expect(try await apply("1000-0", title: "redelivered", time: 5) == .alreadyApplied)
        #expect(try await store.content(platform: "p", contentID: "c")?.title == "first")
        #expect(try await apply("9000-0", title: "accepted again", time: 5) == .applied)
        #expect(try await store.content(platform: "p", contentID: "c")?.title == "accepted again")
        #expect(try await store.applications(platform: "p") == ["1000-0": 1, "9000-0": 1])
    }

    @Test func oldDeliveriesArePruned() async throws {
        let store = try store()
        for delivery in ["1000000000000-0", "1000000000000-1", "1500000000000-0", "1764979200000-0"] {
            _ = try await store.apply(platform: "p", deliveryID: delivery, eventID: delivery, eventType: "content_added", eventTime: 1, updates: [])
        }
        // applied_at is now: nothing is older than a cutoff in the past, whatever the ids.
        #expect(try await store.pruneAppliedEvents(olderThanMilliseconds: 1, platforms: ["p"]) == 0)
        let now = WallClock.milliseconds() + 1
        #expect(try await store.pruneAppliedEvents(olderThanMilliseconds: now, platforms: ["p", "q"]) == 4)
        #expect(try await store.appliedEventCount(platform: "p") == 0)
    }

    @Test func olderEventsNeverOverwriteNewerOnes() async throws {
        let store = try store()
        for (eventID, time, title) in [("new", 200, "New"), ("old", 100, "Old")] as [(String, Int64, String)] {
            _ = try await store.apply(
                platform: "p", eventID: eventID, eventType: "content_updated", eventTime: time,
                updates: [ContentUpdate(contentID: "c", action: .upsert, title: title)])
        }
        let row = try #require(try await store.content(platform: "p", contentID: "c"))
        #expect(row.title == "New")
        #expect(row.lastEventID == "new")
        // The old event is recorded as applied all the same: a redelivery stays a no-op.
        #expect(try await store.wasApplied(platform: "p", eventID: "old"))
    }

    @Test func removeKeepsTheRowAndPartialUpdatesKeepFields() async throws {
        let store = try store()
        _ = try await store.apply(
            platform: "p", eventID: "1", eventType: "content_added", eventTime: 1,
            updates: [ContentUpdate(contentID: "c", action: .upsert, title: "T", contentType: "series")])
        _ = try await store.apply(
            platform: "p", eventID: "2", eventType: "content_updated", eventTime: 2,
            updates: [ContentUpdate(contentID: "c", action: .upsert, title: "T2")])
        var row = try #require(try await store.content(platform: "p", contentID: "c"))
        #expect(row.title == "T2")
        #expect(row.contentType == "series")
        _ = try await store.apply(
            platform: "p", eventID: "3", eventType: "content_removed", eventTime: 3,
            updates: [ContentUpdate(contentID: "c", action: .remove)])
        row = try #require(try await store.content(platform: "p", contentID: "c"))
        #expect(row.status == .removed)
        #expect(row.title == "T2")
        #expect(row.firstSeenAt <= row.updatedAt)
    }

    @Test func reopensWithMigrationsApplied() async throws {
        let path = try Fixtures.configDirectory([:]) + "/content.sqlite"
        _ = try await ContentStore(path: path).apply(
            platform: "p", eventID: "1", eventType: "content_added", eventTime: 1,
            updates: [ContentUpdate(contentID: "c", action: .upsert)])
        #expect(try await ContentStore(path: path).appliedEventCount(platform: "p") == 1)
    }

    /// The log is copied into the database file beside the writer, long before the writer's own backstop: the file
    /// grows while the store is open, and every event stays readable.
    @Test func theLogIsCheckpointedBesideTheWriter() async throws {
        let path = try Fixtures.configDirectory([:]) + "/content.sqlite"
        let store = try ContentStore(path: path)
        func fileSize() throws -> Int { try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0 }
        let before = try fileSize()
        let batch = 500
        let batches = 2 * ContentStore.checkpointEvery / batch
        for b in 0..<batches {
            let events = (0..<batch).map { i in
                ContentStore.Application(
                    platform: "p", deliveryID: "1-\(b)-\(i)", eventID: "event-\(b)-\(i)", eventType: "content_added", eventTime: 1,
                    updates: [ContentUpdate(contentID: "c-\(b)-\(i)", action: .upsert, title: String(repeating: "t", count: 200))])
            }
            _ = try await store.apply(events)
        }
        // Far below the writer's backstop: only the checkpointer copies the log into the file now.
        #expect(batches * batch * 2 < ContentStore.writerCheckpointPages)
        var grown = false
        for _ in 0..<100 where !grown {
            grown = try fileSize() > before + 1_000_000
            if !grown { try await Task.sleep(for: .milliseconds(50)) }
        }
        let after = try fileSize()
        #expect(grown, "the database file is still \(after) bytes (\(before) before)")
        #expect(try await store.appliedEventCount(platform: "p") == batches * batch)
    }
}
