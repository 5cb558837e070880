import HTTPTypes
import Hummingbird

/// The gateway's router, answering `405 method_not_allowed` with an `Allow` header when a path exists but not for the
/// request's method (Hummingbird's router alone answers 404 for both).
public struct GatewayResponder: HTTPResponderBuilder {
    let router: Router<GatewayRequestContext>

    public init(router: Router<GatewayRequestContext>) {
        self.router = router
    }

    public func buildResponder() -> Responder {
        // Each path's methods, most specific path first: a static segment beats a parameter, as in the router's trie.
        var methods: [String: (path: RouterPath, methods: Set<HTTPRequest.Method>)] = [:]
        for route in router.routes {
            methods[route.path.description, default: (route.path, [])].methods.insert(route.method)
        }
        let table = methods.values.sorted { Self.specificity($0.path).lexicographicallyPrecedes(Self.specificity($1.path)) == false }
        return Responder(routes: router.buildResponder(), table: table.map { ($0.path, $0.methods.map(\.rawValue).sorted()) })
    }

    /// 1 for each static segment, 0 for each parameter.
    static func specificity(_ path: RouterPath) -> [Int] {
        path.components.map { element in
            let text = element.description
            return text.hasPrefix("{") || text.hasPrefix(":") || text.contains("*") ? 0 : 1
        }
    }

    public struct Responder: HTTPResponder {
        let routes: RouterResponder<GatewayRequestContext>
        let table: [(path: RouterPath, methods: [String])]

        public func respond(to request: Request, context: GatewayRequestContext) async throws -> Response {
            let response = try await routes.respond(to: request, context: context)
            // Only a 404 can hide a 405: the path matched, the method did not (the router answers 404 for both).
            guard response.status == .notFound, let allowed = allowedMethods(path: request.uri.path),
                !allowed.contains(request.method.rawValue)
            else { return response }
            var refusal = WebhookError(
                .methodNotAllowed, .methodNotAllowed,
                "\(request.method.rawValue) is not allowed here; use \(allowed.joined(separator: ", "))"
            ).response()
            refusal.headers[.allow] = allowed.joined(separator: ", ")
            return refusal
        }

        /// The methods of the most specific route whose path matches, or `nil` when none does.
        func allowedMethods(path: String) -> [String]? {
            let segments = path.split(separator: "/", omittingEmptySubsequences: true)
            for (template, methods) in table where template.components.count == segments.count {
                if zip(template.components, segments).allSatisfy({ $0 ~= $1 }) { return methods }
            }
            return nil
        }
    }
}
