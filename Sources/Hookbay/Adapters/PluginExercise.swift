import HookbayJSON
import HookbayPluginKit
import NIOCore

/// Drives a plugin through the ABI in a loop: a smoke test for plugin authors and the workload of the leak check
/// (`scripts/plugin-leak-check` runs it under valgrind).
public enum PluginExercise {
    /// A sample event every reference adapter accepts.
    public static let sampleEvent = AdapterEvent(
        platform: "exercise", eventType: "content_updated", sourceEventType: "content_updated",
        eventID: String(repeating: "0", count: 64), receivedAt: 1_764_979_200_000, timestamp: "2025-12-06T00:00:00Z",
        payload: .object([
            "content_id": .string("80100172"), "title": .string("Dark"), "content_type": .string("series"),
            "regions": .array([.string("US"), .string("DE")]), "metadata": .object(["rating": .string("TV-MA")]),
        ])
    )

    /// Runs `iterations` validate+process calls with `{}` as configuration.
    public static func run(plugin: AdapterPlugin, iterations: Int) throws -> (updates: Int, nanosecondsPerCall: Int) {
        let adapter = try AdapterInstance(plugin: plugin, configuration: .object([:]))
        var updates = 0
        let start = NIODeadline.now()
        for _ in 0..<iterations {
            try adapter.validate(sampleEvent)
            updates += try adapter.process(sampleEvent).count
        }
        let elapsed = (NIODeadline.now() - start).nanoseconds
        return (updates, Int(elapsed) / max(iterations, 1))
    }
}
