import HTTPTypes
import HookbayJSON
import Hummingbird
import NIOCore

/// The dead-letter admin API: list, replay and purge a platform's failed events. Every route needs the admin token.
public struct DeadLetterRoutes: Sendable {
    public let queue: any WebhookQueue
    public let platforms: PlatformRegistry
    public let authenticator: AdminAuthenticator

    public init(queue: any WebhookQueue, platforms: PlatformRegistry, authenticator: AdminAuthenticator) {
        self.queue = queue
        self.platforms = platforms
        self.authenticator = authenticator
    }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/api/v1/webhooks/dlq/{platform}") { request, context in
            try self.authenticator.authenticate(request)
            return try await self.list(platform: context.parameters.get("platform") ?? "", request: request)
        }
        router.post("/api/v1/webhooks/dlq/{platform}/replay") { request, context in
            try self.authenticator.authenticate(request)
            let platform = try self.known(context.parameters.get("platform") ?? "", request: request)
            if let (id, destination) = QueueKeys.split(lane: platform),
                self.platforms.platform(id)?.config.destinations.contains(where: { $0.name == destination }) != true
            {
                // Nothing reads the lane of a destination the file does not list: a replay there would vanish.
                throw WebhookError(
                    .notFound, .notFound,
                    "platform \(id) has no destination '\(destination)' now: add it back to replay its dead letters (listing and purging work)")
            }
            let ids = try await Self.ids(request, required: false)
            let result = try await Self.queueCall { () async throws(QueueError) in
                try await self.queue.replayDeadLetters(platform: platform, ids: ids)
            }
            return WebhookRoutes.json(
                String(
                    decoding: CanonicalJSON.encode(
                        .object([
                            "replayed": .number(String(result.replayed)), "missing": .array(result.missing.map(JSONValue.string)),
                        ])), as: UTF8.self))
        }
        router.delete("/api/v1/webhooks/dlq/{platform}") { request, context in
            try self.authenticator.authenticate(request)
            let platform = try self.known(context.parameters.get("platform") ?? "", request: request)
            let ids = try await Self.ids(request, required: true) ?? []
            let purged = try await Self.queueCall { () async throws(QueueError) in try await self.queue.purgeDeadLetters(platform: platform, ids: ids)
            }
            return WebhookRoutes.json(#"{"purged":\#(purged)}"#)
        }
    }

    /// `GET /api/v1/webhooks/dlq/{platform}?count=50&after=<id>[&order=oldest|newest][&destination=NAME]`.
    func list(platform id: String, request: Request) async throws -> Response {
        let platform = try self.known(id, request: request)
        let countText = request.uri.queryParameters.get("count")
        guard let count = countText.map({ Int($0) }) ?? 50, (1...1000).contains(count) else {
            throw WebhookError(.badRequest, .badRequest, "count must be a whole number between 1 and 1000")
        }
        let after = request.uri.queryParameters.get("after").map { String($0) }
        if let after, !StreamEntry.isValidID(after) {
            throw WebhookError(.badRequest, .badRequest, "after must be a dead-letter id such as 1764979200000-0 (the previous page's next)")
        }
        let newestFirst: Bool
        switch request.uri.queryParameters.get("order") {
        case nil, "oldest": newestFirst = false
        case "newest": newestFirst = true
        default: throw WebhookError(.badRequest, .badRequest, "order must be oldest or newest")
        }
        let entries = try await Self.queueCall { () async throws(QueueError) in
            try await self.queue.deadLetters(platform: platform, after: after, count: count, newestFirst: newestFirst)
        }
        let items: [JSONValue] = entries.map(Self.json)
        let next: JSONValue = entries.count == count ? .string(entries.last!.id) : .null
        return WebhookRoutes.json(String(decoding: CanonicalJSON.encode(.object(["entries": .array(items), "next": next])), as: UTF8.self))
    }

    /// A dead-letter entry as JSON; the envelope is embedded as the JSON it is.
    public static func json(_ entry: StreamEntry) -> JSONValue {
        var members: [String: JSONValue] = ["id": .string(entry.id)]
        // The envelope, and a forwarding delivery's body, are embedded as the JSON they are.
        for (name, value) in entry.fields where name != StreamEntry.bodyRefField {
            if name == "envelope" || name == "body" {
                members[name] = (try? JSONParser.parse(value.readableBytesView)) ?? .string(String(buffer: value))
            } else {
                members[name] = .string(String(buffer: value))
            }
        }
        return .object(members)
    }

    /// The queue a request names: the platform's own, or with `?destination=NAME` that destination's lane. A name
    /// the platform's file no longer lists is accepted (its dead letters outlive it), as long as it is a valid name.
    private func known(_ id: String, request: Request) throws(WebhookError) -> String {
        guard self.platforms.platform(id) != nil else { throw .unsupportedPlatform(id) }
        guard let destination = request.uri.queryParameters.get("destination") else { return id }
        guard PlatformFileParser.isValidID(destination) else {
            throw WebhookError(.badRequest, .badRequest, "destination must be a destination name ([a-z0-9_-], 1 to 64 characters)")
        }
        return QueueKeys.lane(platform: id, destination: destination)
    }

    /// The `{"ids": [...]}` body; absent or empty means "all" where that is allowed.
    static func ids(_ request: Request, required: Bool) async throws -> [String]? {
        var request = request
        let body = try await request.collectBody(upTo: 1 << 20)
        if body.readableBytes == 0 {
            if required { throw WebhookError(.badRequest, .badRequest, #"body must be {"ids": ["<dead-letter id>", ...]}"#) }
            return nil
        }
        guard case .object(let members) = try? JSONParser.parse(body.readableBytesView),
            case .array(let items)? = members["ids"]
        else {
            throw WebhookError(.badRequest, .badRequest, #"body must be {"ids": ["<dead-letter id>", ...]}"#)
        }
        var ids: [String] = []
        for item in items {
            guard case .string(let id) = item, StreamEntry.isValidID(id) else {
                throw WebhookError(.badRequest, .badRequest, "ids must be stream entry ids such as 1764979200000-0")
            }
            ids.append(id)
        }
        if ids.isEmpty {
            throw WebhookError(
                .badRequest, .badRequest,
                required ? "ids must name at least one entry" : "ids must name at least one entry; send no body to replay them all")
        }
        return ids
    }

    static func queueCall<T>(_ body: () async throws(QueueError) -> T) async throws(WebhookError) -> T {
        do {
            return try await body()
        } catch {
            throw WebhookError(.serviceUnavailable, .queueUnavailable, "the queue is unavailable: \(error)", retryAfterSeconds: 5)
        }
    }
}
