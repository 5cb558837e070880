import HTTPTypes
import HookbayJSON
import Hummingbird
import NIOPosix

/// The admin endpoints behind the admin token: platforms (list, register, switch on or off), reload, and the recent
/// refusals.
public struct AdminRoutes: Sendable {
    public let registry: PlatformRegistry
    public let reloader: ConfigReloader
    public let authenticator: AdminAuthenticator
    public let registration: PlatformRegistration
    public let switcher: PlatformSwitch
    public let refusals: RecentRefusals

    public init(registry: PlatformRegistry, reloader: ConfigReloader, authenticator: AdminAuthenticator, refusals: RecentRefusals) {
        self.registry = registry
        self.reloader = reloader
        self.authenticator = authenticator
        self.refusals = refusals
        self.registration = PlatformRegistration(directory: ConfigDirectory(reloader: reloader))
        self.switcher = PlatformSwitch(directory: ConfigDirectory(reloader: reloader))
    }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        // Registered before /api/v1/webhooks/{platform}'s POST is looked up: a constant segment wins over a parameter.
        router.post("/api/v1/webhooks/register") { request, _ in
            try self.authenticator.authenticate(request)
            var request = request
            let body = try await request.collectBody(upTo: 64 * 1024)
            let json: JSONValue
            do {
                json = try JSONParser.parse(body.readableBytesView)
            } catch {
                throw WebhookError.invalidPayload("body is not valid JSON: \(error)")
            }
            let registration = try PlatformRegistration.Request(json: json)
            try await NIOThreadPool.singleton.runIfActive { try self.registration.register(registration) }
            let host = request.head.authority ?? "localhost"
            let scheme = request.headers[HTTPField.Name("X-Forwarded-Proto")!] ?? "http"
            var response = WebhookRoutes.json(
                String(
                    decoding: CanonicalJSON.encode(
                        .object([
                            "platform": .string(registration.platform),
                            "webhook_url": .string("\(scheme)://\(host)/api/v1/webhooks/\(registration.platform)"),
                            "subscribe": .array(registration.eventTypes.map(JSONValue.string)),
                            "signature": .object([
                                "scheme": .string("hmac-sha256"), "header": .string("X-Webhook-Signature"),
                                "format": .string("sha256=<lowercase hex HMAC-SHA256 of the raw body>"),
                            ]),
                        ])), as: UTF8.self))
            response.status = .created
            return response
        }
        router.get("/api/v1/admin/platforms") { request, _ in
            try self.authenticator.authenticate(request)
            return WebhookRoutes.json(String(decoding: CanonicalJSON.encode(self.platformsJSON()), as: UTF8.self))
        }
        router.post("/api/v1/admin/platforms/{platform}/enabled") { request, context in
            try self.authenticator.authenticate(request)
            var request = request
            let body = try await request.collectBody(upTo: 4096)
            guard case .object(let members)? = try? JSONParser.parse(body.readableBytesView), case .bool(let enabled)? = members["enabled"],
                members.count == 1
            else {
                throw WebhookError(.badRequest, .badRequest, #"body must be {"enabled": true} or {"enabled": false}"#)
            }
            let platform = context.parameters.get("platform") ?? ""
            // File writes, a lock other gateways may hold, and a reload: not on the threads serving requests.
            let outcome = try await NIOThreadPool.singleton.runIfActive { try self.switcher.set(platform, enabled: enabled) }
            return WebhookRoutes.json(
                String(
                    decoding: CanonicalJSON.encode(
                        .object([
                            "platform": .string(outcome.platform), "enabled": .bool(outcome.enabled),
                            "source_file": .string(outcome.sourceFile), "changed": .bool(outcome.changed),
                        ])), as: UTF8.self))
        }
        router.get("/api/v1/admin/refusals") { request, _ in
            try self.authenticator.authenticate(request)
            return try self.recentRefusals(request)
        }
        router.post("/api/v1/admin/reload") { request, _ in
            try self.authenticator.authenticate(request)
            let report = self.reloader.reload(force: true)
            return WebhookRoutes.json(
                String(
                    decoding: CanonicalJSON.encode(
                        .object([
                            "platforms": .array(report.platforms.map(JSONValue.string)),
                            "problems": .array(report.problems.map(Self.problemJSON)),
                        ])), as: UTF8.self))
        }
    }

    /// Every served platform (never its secret) and every file problem of the last load.
    func platformsJSON() -> JSONValue {
        let problems = self.registry.problems
        let platforms: [JSONValue] = self.registry.all.map { platform in
            let c = platform.config
            let error = problems.first { $0.file == c.sourceFile }.map { JSONValue.string($0.description) } ?? .null
            return .object([
                "platform": .string(c.id),
                "enabled": .bool(c.enabled),
                "adapter": .string(c.adapter),
                "adapter_version": .string(platform.adapter.plugin.version),
                "signature_scheme": .string(c.signature.scheme.rawValue),
                "rate_limit": .object([
                    "per_minute": .number(String(c.rateLimit.perMinute)), "burst": .number(String(c.rateLimit.burst)),
                    "scope": .string(c.rateLimit.scope.rawValue),
                ]),
                "secrets": .array(c.secrets.map { .string($0.source) }),
                "source_file": .string(c.sourceFile),
                "last_error": error,
                "destinations": .array(c.destinations.map { .string($0.name) }),
            ])
        }
        return .object(["platforms": .array(platforms), "problems": .array(problems.map(Self.problemJSON))])
    }

    /// `GET /api/v1/admin/refusals?limit=200&platform=P`: this process's last refused deliveries, newest first (a run
    /// of identical ones in a row is one entry with its `count`).
    func recentRefusals(_ request: Request) throws(WebhookError) -> Response {
        let capacity = self.refusals.capacity
        let limitText = request.uri.queryParameters.get("limit")
        guard let limit = limitText.map({ Int($0) }) ?? capacity, (1...capacity).contains(limit) else {
            throw WebhookError(.badRequest, .badRequest, "limit must be a whole number between 1 and \(capacity)")
        }
        let platform = request.uri.queryParameters.get("platform").map { String($0) }
        let items: [JSONValue] = self.refusals.recent(limit: limit, platform: platform).map { r in
            .object([
                "at": .number(String(r.at)), "platform": .string(r.platform), "status": .number(String(r.status)),
                "code": .string(r.code), "message": .string(r.message), "request_id": .string(r.requestID),
                "remote_address": r.remoteAddress.map(JSONValue.string) ?? .null, "count": .number(String(r.count)),
                "first_at": .number(String(r.firstAt)),
            ])
        }
        return WebhookRoutes.json(
            String(
                decoding: CanonicalJSON.encode(.object(["capacity": .number(String(capacity)), "refusals": .array(items)])),
                as: UTF8.self))
    }

    static func problemJSON(_ problem: ConfigProblem) -> JSONValue {
        .object([
            "file": .string(problem.file),
            "key": problem.key.map(JSONValue.string) ?? .null,
            "line": problem.line.map { .number(String($0)) } ?? .null,
            "message": .string(problem.message),
        ])
    }
}
