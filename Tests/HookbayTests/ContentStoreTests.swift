import Foundation
import HookbayJSON
import HookbayPluginKit
import HookbayTestSupport
import Testing

@testable import Hookbay

/// The content store's semantics, on every backend (SQLite; PostgreSQL when a server is configured, always on CI).
@Suite struct ContentStoreTests {
    @Test(arguments: TestStores.backends) func appliesOnceOnly(_ backend: TestStores.Backend) async throws {
        try await TestStores.with(backend) { store, p in
            let update = ContentUpdate(contentID: "c1", action: .upsert, title: "One", contentType: "movie", attributes: ["a": .number("1")])
            let first = try await store.apply(platform: p, eventID: "e1", eventType: "content_added", eventTime: 100, updates: [update])
            let second = try await store.apply(platform: p, eventID: "e1", eventType: "content_added", eventTime: 100, updates: [update])
            #expect(first == .applied)
            #expect(second == .alreadyApplied)
            let row = try #require(try await store.content(platform: p, contentID: "c1"))
            #expect(row.title == "One")
            #expect(row.contentType == "movie")
            #expect(row.status == .active)
            #expect(row.attributes == .object(["a": .number("1")]))
            #expect(row.lastEventID == "e1")
            #expect(try await store.appliedEventCount(platform: p) == 1)
            #expect(try await store.content(platform: p + "-other", contentID: "c1") == nil)
        }
    }

    /// Idempotency is per accepted delivery: a redelivery of the same queue entry changes nothing; the same event
    /// accepted again (after its dedup TTL, a new entry) is applied again. Every row records one write.
    @Test(arguments: TestStores.backends) func idempotencyIsKeyedByTheDelivery(_ backend: TestStores.Backend) async throws {
        try await TestStores.with(backend) { store, p in
            func apply(_ delivery: String, title: String, time: Int64) async throws -> ApplyOutcome {
                try await store.apply(
                    platform: p, deliveryID: delivery, eventID: "same-hash", eventType: "content_updated", eventTime: time,
                    updates: [ContentUpdate(contentID: "c", action: .upsert, title: title)])
            }
            let first = try await apply("1000-0", title: "first", time: 1)
            let redelivered = try await apply("1000-0", title: "redelivered", time: 5)
            let afterRedelivery = try await store.content(platform: p, contentID: "c")?.title
            let again = try await apply("9000-0", title: "accepted again", time: 5)
            let afterAgain = try await store.content(platform: p, contentID: "c")?.title
            let applications = try await store.applications(platform: p)
            #expect(first == .applied)
            #expect(redelivered == .alreadyApplied)
            #expect(afterRedelivery == "first")
            #expect(again == .applied)
            #expect(afterAgain == "accepted again")
            #expect(applications == ["1000-0": 1, "9000-0": 1])
        }
    }

    @Test(arguments: TestStores.backends) func oldDeliveriesArePruned(_ backend: TestStores.Backend) async throws {
        try await TestStores.with(backend) { store, p in
            for delivery in ["1000000000000-0", "1000000000000-1", "1500000000000-0", "1764979200000-0"] {
                _ = try await store.apply(platform: p, deliveryID: delivery, eventID: delivery, eventType: "content_added", eventTime: 1, updates: [])
            }
            // applied_at is now: nothing is older than a cutoff in the past, whatever the ids.
            #expect(try await store.pruneAppliedEvents(olderThanMilliseconds: 1, platforms: [p]) == 0)
            let now = WallClock.milliseconds() + 1
            #expect(try await store.pruneAppliedEvents(olderThanMilliseconds: now, platforms: [p, p + "-q"]) == 4)
            #expect(try await store.appliedEventCount(platform: p) == 0)
        }
    }

    @Test(arguments: TestStores.backends) func olderEventsNeverOverwriteNewerOnes(_ backend: TestStores.Backend) async throws {
        try await TestStores.with(backend) { store, p in
            for (eventID, time, title) in [("new", 200, "New"), ("old", 100, "Old")] as [(String, Int64, String)] {
                _ = try await store.apply(
                    platform: p, eventID: eventID, eventType: "content_updated", eventTime: time,
                    updates: [ContentUpdate(contentID: "c", action: .upsert, title: title)])
            }
            let row = try #require(try await store.content(platform: p, contentID: "c"))
            #expect(row.title == "New")
            #expect(row.lastEventID == "new")
            // The old event is recorded as applied all the same: a redelivery stays a no-op.
            #expect(try await store.wasApplied(platform: p, eventID: "old"))
        }
    }

    @Test(arguments: TestStores.backends) func removeKeepsTheRowAndPartialUpdatesKeepFields(_ backend: TestStores.Backend) async throws {
        try await TestStores.with(backend) { store, p in
            _ = try await store.apply(
                platform: p, eventID: "1", eventType: "content_added", eventTime: 1,
                updates: [ContentUpdate(contentID: "c", action: .upsert, title: "T", contentType: "series")])
            _ = try await store.apply(
                platform: p, eventID: "2", eventType: "content_updated", eventTime: 2,
                updates: [ContentUpdate(contentID: "c", action: .upsert, title: "T2")])
            var row = try #require(try await store.content(platform: p, contentID: "c"))
            #expect(row.title == "T2")
            #expect(row.contentType == "series")
            _ = try await store.apply(
                platform: p, eventID: "3", eventType: "content_removed", eventTime: 3,
                updates: [ContentUpdate(contentID: "c", action: .remove)])
            row = try #require(try await store.content(platform: p, contentID: "c"))
            #expect(row.status == .removed)
            #expect(row.title == "T2")
            #expect(row.firstSeenAt <= row.updatedAt)
        }
    }

    /// One transaction, several events touching the same content, a delivery listed twice, and more rows than one
    /// statement carries: applied in order, each delivery once.
    @Test(arguments: TestStores.backends) func aBatchAppliesInOrder(_ backend: TestStores.Backend) async throws {
        try await TestStores.with(backend) { store, p in
            var events = (0..<1_500).map { i in
                ContentApplication(
                    platform: p, deliveryID: "1700000000000-\(i)", eventID: "e\(i)", eventType: "content_updated", eventTime: Int64(i),
                    updates: [
                        ContentUpdate(contentID: "same", action: .upsert, title: "title \(i)"),
                        ContentUpdate(contentID: "c\(i)", action: .upsert, attributes: ["i": .number("\(i)")]),
                    ])
            }
            events.append(events[7])
            let outcomes = try await store.apply(events)
            #expect(outcomes.prefix(1_500).allSatisfy { $0 == .applied })
            #expect(outcomes.last == .alreadyApplied)
            #expect(try await store.content(platform: p, contentID: "same")?.title == "title 1499")
            #expect(try await store.content(platform: p, contentID: "c1234")?.attributes == .object(["i": .number("1234")]))
            #expect(try await store.appliedEventCount(platform: p) == 1_500)
            #expect(Set(try await store.applications(platform: p).values) == [1])
        }
    }

    /// Text the database can keep round-trips unchanged; a value it cannot keep is a refusal (the event's fault),
    /// never an outage, and the store serves on.
    @Test(arguments: TestStores.backends) func valuesRoundTripOrAreRefused(_ backend: TestStores.Backend) async throws {
        try await TestStores.with(backend) { store, p in
            let title = "Ünïcødé 🎬 \"quoted\" 'single' \\ back; DROP TABLE content; --"
            let attributes: [String: JSONValue] = ["nested": .object(["list": .array([.number("1.5"), .null, .bool(true)])])]
            _ = try await store.apply(
                platform: p, eventID: "u", eventType: "content_added", eventTime: 1,
                updates: [ContentUpdate(contentID: "ü/1", action: .upsert, title: title, attributes: attributes)])
            let row = try #require(try await store.content(platform: p, contentID: "ü/1"))
            #expect(row.title == title)
            #expect(row.attributes == .object(attributes))
            let nul = "before\u{0}after"
            let result: Result<ApplyOutcome, ContentStoreError>
            do throws(ContentStoreError) {
                result = .success(
                    try await store.apply(
                        platform: p, eventID: "nul", eventType: "content_added", eventTime: 2,
                        updates: [ContentUpdate(contentID: "n", action: .upsert, title: nul)]))
            } catch {
                result = .failure(error)
            }
            // PostgreSQL's text cannot hold NUL and SQLite would give it back cut short: refused on both, alike.
            guard case .failure(.refused(let reason)) = result else {
                Issue.record("a NUL character was not refused on \(backend): \(result)")
                return
            }
            #expect(reason.contains("NUL"), "\(reason)")
            #expect(try await store.wasApplied(platform: p, eventID: "nul") == false)
            #expect(try await store.appliedEventCount(platform: p) == 1)
        }
    }

    @Test func reopensWithMigrationsApplied() async throws {
        let path = try Fixtures.configDirectory([:]) + "/content.sqlite"
        _ = try await SQLiteContentStore(path: path).apply(
            platform: "p", eventID: "1", eventType: "content_added", eventTime: 1,
            updates: [ContentUpdate(contentID: "c", action: .upsert)])
        #expect(try await SQLiteContentStore(path: path).appliedEventCount(platform: "p") == 1)
    }

    /// The log is copied into the database file beside the writer, long before the writer's own backstop: the file
    /// grows while the store is open, and every event stays readable.
    @Test func theLogIsCheckpointedBesideTheWriter() async throws {
        let path = try Fixtures.configDirectory([:]) + "/content.sqlite"
        let store = try SQLiteContentStore(path: path)
        func fileSize() throws -> Int { try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0 }
        let before = try fileSize()
        let batch = 500
        let batches = 2 * SQLiteContentStore.checkpointEvery / batch
        for b in 0..<batches {
            let events = (0..<batch).map { i in
                ContentApplication(
                    platform: "p", deliveryID: "1-\(b)-\(i)", eventID: "event-\(b)-\(i)", eventType: "content_added", eventTime: 1,
                    updates: [ContentUpdate(contentID: "c-\(b)-\(i)", action: .upsert, title: String(repeating: "t", count: 200))])
            }
            _ = try await store.apply(events)
        }
        // Far below the writer's backstop: only the checkpointer copies the log into the file now.
        #expect(batches * batch * 2 < SQLiteContentStore.writerCheckpointPages)
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
