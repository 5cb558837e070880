import Foundation
import HookbayJSON
import HookbayPluginKit
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

    @Test func olderEventsNeverOverwriteNewerOnes() async throws {
        let store = try store()
        _ = try await store.apply(platform: "p", eventID: "new", eventType: "content_updated", eventTime: 200,
                                  updates: [ContentUpdate(contentID: "c", action: .upsert, title: "New")])
        _ = try await store.apply(platform: "p", eventID: "old", eventType: "content_updated", eventTime: 100,
                                  updates: [ContentUpdate(contentID: "c", action: .upsert, title: "Old")])
        let row = try #require(try await store.content(platform: "p", contentID: "c"))
        #expect(row.title == "New")
        #expect(row.lastEventID == "new")
        // The old event is recorded as applied all the same: a redelivery stays a no-op.
        #expect(try await store.wasApplied(platform: "p", eventID: "old"))
    }

    @Test func removeKeepsTheRowAndPartialUpdatesKeepFields() async throws {
        let store = try store()
        _ = try await store.apply(platform: "p", eventID: "1", eventType: "content_added", eventTime: 1,
                                  updates: [ContentUpdate(contentID: "c", action: .upsert, title: "T", contentType: "series")])
        _ = try await store.apply(platform: "p", eventID: "2", eventType: "content_updated", eventTime: 2,
                                  updates: [ContentUpdate(contentID: "c", action: .upsert, title: "T2")])
        var row = try #require(try await store.content(platform: "p", contentID: "c"))
        #expect(row.title == "T2")
        #expect(row.contentType == "series")
        _ = try await store.apply(platform: "p", eventID: "3", eventType: "content_removed", eventTime: 3,
                                  updates: [ContentUpdate(contentID: "c", action: .remove)])
        row = try #require(try await store.content(platform: "p", contentID: "c"))
        #expect(row.status == .removed)
        #expect(row.title == "T2")
        #expect(row.firstSeenAt <= row.updatedAt)
    }

    @Test func reopensWithMigrationsApplied() async throws {
        let path = try Fixtures.configDirectory([:]) + "/content.sqlite"
        _ = try await ContentStore(path: path).apply(platform: "p", eventID: "1", eventType: "content_added", eventTime: 1,
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
                ContentStore.Application(platform: "p", eventID: "event-\(b)-\(i)", eventType: "content_added", eventTime: 1,
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
