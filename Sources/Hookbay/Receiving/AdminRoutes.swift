import HookbayJSON
import Hummingbird

/// `GET /api/v1/admin/platforms` and `POST /api/v1/admin/reload`, behind the admin token.
public struct AdminRoutes: Sendable {
    public let registry: PlatformRegistry
    public let reloader: ConfigReloader
    public let authenticator: AdminAuthenticator

    public init(registry: PlatformRegistry, reloader: ConfigReloader, authenticator: AdminAuthenticator) {
        self.registry = registry
        self.reloader = reloader
        self.authenticator = authenticator
    }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/api/v1/admin/platforms") { request, _ in
            try self.authenticator.authenticate(request)
            return WebhookRoutes.json(String(decoding: CanonicalJSON.encode(self.platformsJSON()), as: UTF8.self))
        }
        router.post("/api/v1/admin/reload") { request, _ in
            try self.authenticator.authenticate(request)
            let report = self.reloader.reload(force: true)
            return WebhookRoutes.json(String(decoding: CanonicalJSON.encode(.object([
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
                "rate_limit": .object(["per_minute": .number(String(c.rateLimit.perMinute)), "burst": .number(String(c.rateLimit.burst))]),
                "secrets": .array(c.secrets.map { .string($0.source) }),
                "source_file": .string(c.sourceFile),
                "last_error": error,
            ])
        }
        return .object(["platforms": .array(platforms), "problems": .array(problems.map(Self.problemJSON))])
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
