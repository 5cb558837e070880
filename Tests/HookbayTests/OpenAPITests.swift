import Foundation
import HookbayTestSupport
import Hummingbird
import Testing
import Yams

@testable import Hookbay

/// `openapi.yaml` documents exactly the routes the server has.
@Suite struct OpenAPITests {
    static func documented() throws -> Set<String> {
        let path = TestPlugins.packageRoot.appendingPathComponent("openapi.yaml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard case .mapping(let root)? = try Yams.compose(yaml: text), case .mapping(let paths)? = root["paths"] else {
            throw TestSetupError("openapi.yaml has no paths")
        }
        #expect(root["openapi"]?.string?.hasPrefix("3.1") == true)
        var routes: Set<String> = []
        let methods: Set<String> = ["get", "post", "put", "patch", "delete", "head", "options"]
        for (pathNode, operations) in paths {
            guard let path = pathNode.string, case .mapping(let ops) = operations else { continue }
            for (method, operation) in ops {
                guard let name = method.string, methods.contains(name) else { continue }
                routes.insert("\(name.uppercased()) \(path)")
                // Every operation documents its responses, and every error response uses the error body.
                guard case .mapping(let op) = operation, case .mapping(let responses)? = op["responses"] else {
                    Issue.record("\(name) \(path) has no responses")
                    continue
                }
                #expect(!responses.isEmpty, "\(name) \(path)")
            }
        }
        return routes
    }

    @Test func everyRouteIsDocumentedAndNothingElse() throws {
        let dir = try Fixtures.configDirectory([:])
        let gateway = try Gateway(configuration: Fixtures.gateway(configDirectory: dir, redisURL: nil), environment: [:], logger: Fixtures.logger)
        let router = buildRouter(gateway: gateway)
        let served = Set(
            router.routes.map { route in
                // Hummingbird prints parameters as `:name` or `{name}`; OpenAPI uses `{name}`.
                let path = "\(route.path)".split(separator: "/").map { segment in
                    segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
                }.joined(separator: "/")
                return "\(route.method) /\(path)"
            })
        let documented = try Self.documented()
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
        #expect(served.count >= 13)
    }

    @Test func everyErrorCodeIsDocumented() throws {
        let text = try String(contentsOfFile: TestPlugins.packageRoot.appendingPathComponent("openapi.yaml").path, encoding: .utf8)
        for code in WebhookError.Code.allCases.map(\.rawValue) {
            #expect(text.contains(code), "\(code)")
        }
    }
}
