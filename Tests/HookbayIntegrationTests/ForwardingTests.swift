import Foundation
import HTTPTypes
import HookbayJSON
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Hookbay

/// Forwarding end to end: deliveries through the whole server, workers and forwarder to real HTTP receivers on
/// loopback (opened with the allow flag), on the embedded queue and on Redis.
@Suite struct ForwardingTests {
    /// The queues the scenarios run on: always the embedded one; Redis and a Redis Cluster where the tests have them.
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case embedded, redis, cluster
        var testDescription: String { self.rawValue }
        func url() throws -> String? {
            switch self {
            case .embedded: return nil
            case .redis: return try TestRedis.url()
            case .cluster: return try TestRedis.clusterURL()
            }
        }
    }

    static let backends: [Backend] = [.embedded] + (TestRedis.enabled ? [.redis] : []) + (TestRedis.clusterEnabled ? [.cluster] : [])

    static let adminToken = "forwarding-admin-token"
    static let signingSecret = "whsec_" + Data("forwarding key, 24 bytes".utf8).base64EncodedString()

    /// A gateway with one platform whose `destinations:` are `destinations` (YAML list items, indented 2).
    static func app(
        _ id: String, destinations: String, redisURL: String? = nil, allowLoopback: Bool = true, workers: Int = 1
    ) throws -> (some ApplicationProtocol, Gateway) {
        let yaml = Fixtures.platformYAML(id: id, extra: "destinations:\n" + destinations)
        let dir = try Fixtures.configDirectory(["\(id).yaml": yaml])
        var configuration = try Fixtures.gateway(configDirectory: dir, redisURL: redisURL, workers: workers)
        if allowLoopback { configuration.forwardAllowNetworks = [IPNetwork("127.0.0.0/8")!] }
        configuration.adminToken = Self.adminToken
        return try buildApplication(
            configuration: configuration, environment: Fixtures.environment.merging(["FWD_SECRET": Self.signingSecret]) { $1 },
            logger: Fixtures.logger)
    }

    static func destination(
        _ name: String, _ url: String, extra: String = "", retry: String = "{ max_attempts: 30, base_delay_ms: 20, max_delay_ms: 100 }"
    ) -> String {
        """
          - name: \(name)
            url: \(url)
            signing: { scheme: standard-webhooks, secret_env: FWD_SECRET }
            retry: \(retry)
        \(extra.isEmpty ? "" : "    " + extra)

        """
    }

    /// Sends `count` events (types alternating added / updated) and returns their event ids.
    static func send(_ client: some TestClientProtocol, _ id: String, count: Int, tag: String = "c") async throws -> [String] {
        var ids: [String] = []
        for i in 0..<count {
            // Every third one large: on Redis its body is kept apart from its entry.
            let body = Fixtures.envelope(
                platform: id, eventType: i % 2 == 0 ? "content_added" : "content_updated", contentID: "\(tag)\(i)",
                padding: i % 3 == 1 ? RedisWebhookQueue.inlineBodyLimit : 0)
            let response = try await client.execute(
                uri: "/api/v1/webhooks/\(id)", method: .post, headers: Fixtures.signedHeaders(body), body: ByteBuffer(string: body))
            #expect(response.status == .accepted)
            ids.append(try ReceiveClient.json(response)["event_id"]?.stringValue ?? "")
        }
        return ids
    }

    /// On one Redis server, the bodies kept apart for good (no TTL) of `platform`, its lanes' included; `nil` on the
    /// other backends.
    static func keptBodies(_ gateway: Gateway, _ platform: String, _ backend: Backend) async throws -> Int? {
        guard backend == .redis, let queue = gateway.queue as? RedisWebhookQueue else { return nil }
        return try await RedisBodyTests.bodies(queue.client, platform).values.filter { $0 == -1 }.count
    }

    static func webhookID(_ platform: String, _ destination: String, _ eventID: String) -> String {
        ForwardDelivery.webhookID(platform: platform, destination: destination, eventID: eventID)
    }

    @Test(arguments: Self.backends) func everyEventReachesEachSubscribedDestinationSigned(_ backend: Backend) async throws {
        let all = try await TestReceiver.start()
        let added = try await TestReceiver.start()
        defer {
            Task {
                await all.stop()
                await added.stop()
            }
        }
        let id = Fixtures.uniqueID()
        let (app, _) = try Self.app(
            id,
            destinations: Self.destination("all", all.url())
                + Self.destination("added", added.url(), extra: "events: [content_added]\n    body: updates"),
            redisURL: try backend.url())
        try await app.test(.live) { client in
            let events = try await Self.send(client, id, count: 10)
            #expect(try await eventually { all.requests.count >= 10 && added.requests.count >= 5 })
            try await Task.sleep(for: .milliseconds(300))
            // Each event once to `all`, only the added ones to `added`, under ids a receiver can de-duplicate by.
            #expect(Set(all.requests.map(\.webhookID)) == Set(events.map { Self.webhookID(id, "all", $0) }))
            #expect(
                Set(added.requests.map(\.webhookID))
                    == Set(events.enumerated().filter { $0.offset % 2 == 0 }.map { Self.webhookID(id, "added", $0.element) }))
            #expect(all.requests.count == 10 && added.requests.count == 5)
            // `all` gets the canonical event; `added` the adapter's updates.
            let first = try #require(all.requests.first)
            let event = try JSONParser.parse(first.body)
            #expect(event["platform"] == .string(id) && event["payload"]?["content_id"] != nil && event["event_id"] != nil)
            guard case .array(let updates) = try JSONParser.parse(try #require(added.requests.first).body) else {
                Issue.record("the updates body is not a JSON array")
                return
            }
            #expect(updates.first?["action"] == .string("upsert"))
            #expect(first.headers["content-type"] == "application/json" && first.headers["user-agent"] == ForwardMessage.userAgent)
            // The reference library verifies what arrived.
            if PythonStandardWebhooks.available {
                for request in all.requests.prefix(2) + added.requests.prefix(1) {
                    let headers = ["webhook-id", "webhook-timestamp", "webhook-signature"].reduce(into: [String: String]()) {
                        $0[$1] = request.headers[$1]
                    }
                    let headerJSON = String(decoding: try JSONSerialization.data(withJSONObject: headers), as: UTF8.self)
                    let (status, output) = try await ChildProcess.run(
                        "python3", ["-c", PythonStandardWebhooks.verify, Self.signingSecret, headerJSON, request.text])
                    #expect(status == 0 && output.contains("verified"), "standardwebhooks refused it: \(output)")
                }
            }
        }
    }

    @Test(arguments: Self.backends) func aFlakyAndADownReceiverStillGetEveryEvent(_ backend: Backend) async throws {
        // One fails every other request (500, or 503 asking to wait 1 s); the other is down for 3 seconds.
        let flaky = try await TestReceiver.start { _, index in
            index % 2 == 0 ? .init(status: index % 4 == 0 ? 500 : 503, headers: [("Retry-After", "1")]) : .init()
        }
        let upAt = ContinuousClock.now + .seconds(3)
        let down = try await TestReceiver.start { _, _ in ContinuousClock.now < upAt ? .init(status: 502) : .init(status: 204) }
        defer {
            Task {
                await flaky.stop()
                await down.stop()
            }
        }
        let id = Fixtures.uniqueID()
        let (app, gateway) = try Self.app(
            id,
            destinations: Self.destination("flaky", flaky.url())
                + Self.destination("down", down.url(), extra: "circuit_breaker: { failures: 3, cool_down_ms: 300 }"),
            redisURL: try backend.url())
        try await app.test(.live) { client in
            let events = try await Self.send(client, id, count: 12)
            let wanted = { (name: String) in Set(events.map { Self.webhookID(id, name, $0) }) }
            let delivered = { (receiver: TestReceiver) in
                Set(receiver.requests.enumerated().filter { receiver === flaky ? $0.offset % 2 == 1 : true }.map(\.element.webhookID))
            }
            #expect(try await eventually(within: .seconds(60)) { delivered(flaky) == wanted("flaky") && delivered(down) == wanted("down") })
            let stats = try await gateway.queue.stats(platform: QueueKeys.lane(platform: id, destination: "down"))
            #expect(stats.deadLetter == 0)
            #expect(
                try await eventually { try await gateway.queue.stats(platform: QueueKeys.lane(platform: id, destination: "down")).processed == 12 })
            #expect(flaky.requests.count >= 24)
            // While it was down the circuit held attempts back: a few failures and probes, not 12 events' retries
            // every 20–100 ms for 3 seconds.
            #expect(down.requests.count < 60, "\(down.requests.count) attempts")
        }
    }

    @Test(arguments: Self.backends) func anAlwaysFailingDestinationEndsInItsDeadLettersAndAReplayDelivers(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start { _, _ in .init(status: 500) }
        defer { Task { await receiver.stop() } }
        let id = Fixtures.uniqueID()
        let (app, gateway) = try Self.app(
            id,
            destinations: Self.destination(
                "sink", receiver.url(), extra: "circuit_breaker: { failures: 100 }\n    body: raw",
                retry: "{ max_attempts: 3, base_delay_ms: 10, max_delay_ms: 20 }"
            ),
            redisURL: try backend.url())
        let lane = QueueKeys.lane(platform: id, destination: "sink")
        try await app.test(.live) { client in
            let events = try await Self.send(client, id, count: 3)
            #expect(try await eventually { try await gateway.queue.stats(platform: lane).deadLetter == 3 })
            #expect(receiver.requests.count == 9)
            let dead = try await gateway.queue.deadLetters(platform: lane, after: nil, count: 10)
            #expect(Set(dead.compactMap { $0.string("webhook_id") }) == Set(events.map { Self.webhookID(id, "sink", $0) }))
            // The large one's delivery body is kept apart, with its dead letter; the events' own bodies went with them.
            if let kept = try await Self.keptBodies(gateway, id, backend) {
                #expect(kept == 1)
                #expect(dead.filter { $0.fields[StreamEntry.bodyRefField] != nil }.count == 1)
            }
            #expect(dead.allSatisfy { ($0.string("error") ?? "").contains("answered 500") && $0.string("attempts") == "3" })
            // The platform's own dead letters are untouched.
            #expect(try await gateway.queue.stats(platform: id).deadLetter == 0)
            // The admin API lists them under ?destination=, with the body as JSON.
            let admin: HTTPFields = [.authorization: "Bearer \(Self.adminToken)"]
            let listed = try await client.execute(uri: "/api/v1/webhooks/dlq/\(id)?destination=sink", method: .get, headers: admin)
            #expect(listed.status == .ok)
            guard case .array(let items)? = try ReceiveClient.json(listed)["entries"] else {
                Issue.record("no entries in \(String(buffer: listed.body))")
                return
            }
            #expect(items.count == 3 && items.allSatisfy { $0["body"]?["payload"] != nil && $0["webhook_id"] != nil })
            let platformOwn = try await client.execute(uri: "/api/v1/webhooks/dlq/\(id)", method: .get, headers: admin)
            #expect(try ReceiveClient.json(platformOwn)["entries"] == .array([]))
            try ReceiveClient.expectError(
                try await client.execute(uri: "/api/v1/webhooks/dlq/\(id)?destination=Sink!", method: .get, headers: admin), .badRequest,
                "bad_request", contains: "destination must be")
            // And `hookbay dlq list --destination` against Redis.
            if let url = try backend.url() {
                let cli = try await HookbayProcess.runToEnd(["dlq", "list", "--platform", id, "--destination", "sink", "--redis-url", url])
                #expect(cli.status == 0 && cli.output.split(separator: "\n").count == 3, "\(cli.output)")
                let bad = try await HookbayProcess.runToEnd(["dlq", "list", "--platform", id, "--destination", "Sink!", "--redis-url", url])
                #expect(bad.status != 0 && bad.output.contains("not a valid destination name"), "\(bad.output)")
            }
            // A destination the file does not list: nothing reads its lane, so a replay there is refused.
            try ReceiveClient.expectError(
                try await client.execute(uri: "/api/v1/webhooks/dlq/\(id)/replay?destination=gone", method: .post, headers: admin), .notFound,
                "not_found", contains: "has no destination 'gone'")
            receiver.answer { _, _ in .init(status: 200) }
            let replay = try await client.execute(uri: "/api/v1/webhooks/dlq/\(id)/replay?destination=sink", method: .post, headers: admin)
            #expect(try ReceiveClient.json(replay)["replayed"] == .number("3"))
            #expect(try await eventually { try await gateway.queue.stats(platform: lane).processed == 3 })
            #expect(Set(receiver.requests.suffix(3).map(\.webhookID)) == Set(events.map { Self.webhookID(id, "sink", $0) }))
            // Delivered: the body kept apart goes with its entry, and what was sent is what was kept.
            if try await Self.keptBodies(gateway, id, backend) != nil {
                #expect(try await eventually { try await Self.keptBodies(gateway, id, backend) == 0 })
                #expect(receiver.requests.suffix(3).contains { $0.body.count >= RedisWebhookQueue.inlineBodyLimit })
            }
        }
    }

    @Test func withoutTheAllowFlagALoopbackDestinationReceivesNothing() async throws {
        let receiver = try await TestReceiver.start()
        defer { Task { await receiver.stop() } }
        let id = Fixtures.uniqueID()
        let (app, gateway) = try Self.app(id, destinations: Self.destination("local", receiver.url()), allowLoopback: false)
        let lane = QueueKeys.lane(platform: id, destination: "local")
        try await app.test(.live) { client in
            _ = try await Self.send(client, id, count: 2)
            #expect(try await eventually { try await gateway.queue.stats(platform: lane).deadLetter == 2 })
            let dead = try await gateway.queue.deadLetters(platform: lane, after: nil, count: 10)
            #expect(dead.allSatisfy { ($0.string("error") ?? "").contains("loopback") && $0.string("attempts") == "1" })
            #expect(receiver.requests.isEmpty)
            // The events themselves were applied: forwarding is after processing, never instead of it.
            #expect(try await gateway.queue.stats(platform: id).processed == 2)
        }
    }

    @Test func aSlowDestinationDoesNotDelayAnother() async throws {
        let slow = try await TestReceiver.start { _, _ in .init(delay: .seconds(30)) }
        let fast = try await TestReceiver.start()
        let id = Fixtures.uniqueID()
        let (app, _) = try Self.app(
            id,
            destinations: Self.destination("slow", slow.url(), extra: "timeout_ms: 60000\n    max_in_flight: 2")
                + Self.destination("fast", fast.url()))
        try await app.test(.live) { client in
            let start = ContinuousClock.now
            _ = try await Self.send(client, id, count: 20)
            #expect(try await eventually(within: .seconds(15)) { fast.requests.count == 20 })
            let elapsed = ContinuousClock.now - start
            #expect(elapsed < .seconds(15))
            // The slow one holds only its own two slots.
            #expect(slow.requests.count == 2)
            await slow.stop()
            await fast.stop()
        }
    }

    @Test func oneHookbayForwardsToAnotherThatVerifiesStandardWebhooks() async throws {
        // The downstream gateway: a platform that takes the forwarded envelope, signed with the shared secret.
        let downstreamYAML = """
            platform: downstream
            adapter: generic
            adapter_config: { content_id: content_id, title: title }
            secret_env: SW_SECRET
            signature: { scheme: standard-webhooks }
            envelope:
              event_type: { json: /event_type }
              event_id: { header: webhook-id }
              payload: { json: /payload }
            event_types: { content_added: content_added, content_updated: content_updated }
            """
        let downstreamDir = try Fixtures.configDirectory(["downstream.yaml": downstreamYAML])
        let (downstream, downstreamGateway) = try buildApplication(
            configuration: Fixtures.gateway(configDirectory: downstreamDir, redisURL: nil, workers: 1),
            environment: ["SW_SECRET": Self.signingSecret], logger: Fixtures.logger)
        try await downstream.test(.live) { downstreamClient in
            let port = try #require(downstreamClient.port)
            let id = Fixtures.uniqueID()
            let (app, _) = try Self.app(id, destinations: Self.destination("hookbay", "http://127.0.0.1:\(port)/api/v1/webhooks/downstream"))
            try await app.test(.live) { client in
                _ = try await Self.send(client, id, count: 4, tag: "fwd")
                let store = downstreamGateway.store
                #expect(
                    try await eventually {
                        for i in 0..<4 where try await store.content(platform: "downstream", contentID: "fwd\(i)") == nil { return false }
                        return true
                    })
                #expect(try await store.content(platform: "downstream", contentID: "fwd0")?.title == "New Movie")
            }
        }
    }

    @Test(arguments: Self.backends) func aFullBacklogDeadLettersNewDeliveriesInsteadOfGrowing(_ backend: Backend) async throws {
        // Nothing listens there: every attempt fails, so the lane keeps what it has.
        let closed = try await TestReceiver.start()
        let url = closed.url()
        await closed.stop()
        let id = Fixtures.uniqueID()
        let (app, gateway) = try Self.app(
            id,
            destinations: Self.destination("full", url, extra: "max_backlog: 2\n    body: raw", retry: "{ max_attempts: 100, base_delay_ms: 1000 }"),
            redisURL: try backend.url())
        let lane = QueueKeys.lane(platform: id, destination: "full")
        try await app.test(.live) { client in
            _ = try await Self.send(client, id, count: 5)
            #expect(try await eventually { try await gateway.queue.stats(platform: id).processed == 5 })
            #expect(try await eventually { try await gateway.queue.stats(platform: lane).deadLetter == 3 })
            let stats = try await gateway.queue.stats(platform: lane)
            #expect(stats.pending + stats.processing == 2)
            let dead = try await gateway.queue.deadLetters(platform: lane, after: nil, count: 10)
            #expect(
                dead.allSatisfy { ($0.string("error") ?? "").contains("backlog is full (2 deliveries waiting)") && $0.string("webhook_id") != nil })
            #expect(dead.allSatisfy { $0.fields["body"] != nil })
            // The two large events' delivery bodies are kept apart, wherever their deliveries went (lane or dead letters).
            if let kept = try await Self.keptBodies(gateway, id, backend) { #expect(kept == 2) }
        }
    }

    @Test func aReceiverThatHangsMidAnswerCostsOneTimeoutPerAttempt() async throws {
        // The first two answers send their head and a little of the body, then stall; later ones are whole.
        let receiver = try await TestReceiver.start { _, index in .init(stallsInBody: index < 2) }
        defer { Task { await receiver.stop() } }
        let id = Fixtures.uniqueID()
        let (app, gateway) = try Self.app(
            id, destinations: Self.destination("stalls", receiver.url(), extra: "timeout_ms: 500", retry: "{ max_attempts: 5, base_delay_ms: 20 }"))
        let lane = QueueKeys.lane(platform: id, destination: "stalls")
        try await app.test(.live) { client in
            let start = ContinuousClock.now
            let events = try await Self.send(client, id, count: 1)
            #expect(try await eventually(within: .seconds(10)) { try await gateway.queue.stats(platform: lane).processed == 1 })
            #expect(ContinuousClock.now - start < .seconds(5))
            #expect(receiver.requests.count == 3)
            #expect(Set(receiver.requests.map(\.webhookID)) == [Self.webhookID(id, "stalls", events[0])])
        }
    }
}
