import Testing

@testable import Hookbay

/// The per-interval points the console's charts draw, made from cumulative counters.
@Suite struct TrafficHistoryTests {
    static func counters(received: Int, accepted: Int) -> WebhookMetrics.Counters {
        var c = WebhookMetrics.Counters()
        c.received = received
        c.accepted = accepted
        return c
    }

    static func stats(processed: Int, pending: Int = 0) -> PlatformQueueStats {
        var s = PlatformQueueStats()
        s.processed = processed
        s.pending = pending
        return s
    }

    @Test func eachPointHoldsWhatHappenedSinceTheOneBefore() {
        let history = TrafficHistory(capacity: 3)
        // The first sample is the baseline: the queue may have processed thousands before this process started.
        history.sample(
            at: 0, counters: ["a": Self.counters(received: 5, accepted: 4)], refused: ["a": 1], queue: ["a": .some(Self.stats(processed: 9000))])
        #expect(history.points.isEmpty)
        history.sample(
            at: 5000, counters: ["a": Self.counters(received: 15, accepted: 12)], refused: ["a": 3],
            queue: ["a": .some(Self.stats(processed: 9010, pending: 7))])
        let point = try! #require(history.points.last)
        #expect(point.at == 5000)
        #expect(point.platforms["a"] == TrafficHistory.Counts(received: 10, accepted: 8, refused: 2, processed: 10, pending: 7))
    }

    @Test func aPlatformSeenLateAndAQueueNotReadAreNotSpikes() {
        let history = TrafficHistory(capacity: 10)
        history.sample(at: 0, counters: [:], refused: [:], queue: ["a": Self.stats(processed: 100)])
        // "b" appears with its first deliveries; its queue total is a baseline, not a burst of processing.
        history.sample(
            at: 1, counters: ["b": Self.counters(received: 2, accepted: 2)], refused: [:],
            queue: ["a": Self.stats(processed: 110), "b": Self.stats(processed: 5000)])
        #expect(history.points.last?.platforms["b"]?.received == 2)
        #expect(history.points.last?.platforms["b"]?.processed == 0)
        #expect(history.points.last?.platforms["a"]?.processed == 10)
        // The queue of "b" cannot be read once: the next delta is still from its last known total.
        history.sample(
            at: 2, counters: ["b": Self.counters(received: 2, accepted: 2)], refused: [:], queue: ["a": Self.stats(processed: 110), "b": nil])
        history.sample(
            at: 3, counters: ["b": Self.counters(received: 2, accepted: 2)], refused: [:],
            queue: ["a": Self.stats(processed: 110), "b": Self.stats(processed: 5003)])
        #expect(history.points.last?.platforms["b"]?.processed == 3)
        // A counter that goes down (a queue emptied by hand) is 0, never negative.
        history.sample(at: 4, counters: [:], refused: [:], queue: ["a": Self.stats(processed: 0)])
        #expect(history.points.last?.platforms["a"]?.processed == 0)
    }

    @Test func aFailedReadKeepsTheLastLevelsOfAPlatformWithoutLocalTraffic() throws {
        let history = TrafficHistory(capacity: 10)
        history.sample(at: 0, counters: [:], refused: [:], queue: ["w": Self.stats(processed: 10, pending: 4)])
        history.sample(at: 1, counters: [:], refused: [:], queue: ["w": nil])
        #expect(history.points.last?.platforms["w"] == TrafficHistory.Counts(pending: 4))
        history.sample(at: 2, counters: [:], refused: [:], queue: ["w": Self.stats(processed: 15, pending: 1)])
        #expect(history.points.last?.platforms["w"] == TrafficHistory.Counts(processed: 5, pending: 1))
        // The JSON leaves out a platform with nothing to show in a point.
        history.sample(at: 3, counters: [:], refused: [:], queue: ["w": Self.stats(processed: 15, pending: 0)])
        let text = String(decoding: history.json, as: UTF8.self)
        #expect(text.hasPrefix(#"{"interval_seconds":5,"points":[{"at":1,"platforms":{"w":{"#))
        #expect(text.hasSuffix(#"{"at":3,"platforms":{}}]}"#))
    }

    @Test func keepsOnlyTheLastPoints() {
        let history = TrafficHistory(capacity: 2)
        for at in 0..<5 { history.sample(at: Int64(at), counters: [:], refused: [:], queue: [:]) }
        #expect(history.points.map(\.at) == [3, 4])
    }
}
