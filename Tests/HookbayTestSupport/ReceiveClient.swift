import HTTPTypes
import Hookbay
import HookbayJSON
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The receive route through the real router on the embedded queue: an app, a signed POST, and checks of the answers.
public enum ReceiveClient {
    public static func app(
        files: [String: String]? = nil, maxBodyBytes: Int = 1 << 20, platform: String = "netflix"
    ) throws -> (some ApplicationProtocol, Gateway) {
        let dir = try Fixtures.configDirectory(files ?? ["p.yaml": Fixtures.platformYAML(id: platform)])
        return try buildApplication(
            configuration: Fixtures.gateway(configDirectory: dir, redisURL: nil, maxBodyBytes: maxBodyBytes),
            environment: Fixtures.environment,
            logger: Fixtures.logger
        )
    }

    public static func post(
        _ client: some TestClientProtocol, platform: String = "netflix", body: String,
        headers: HTTPFields? = nil
    ) async throws -> TestResponse {
        try await client.execute(
            uri: "/api/v1/webhooks/\(platform)", method: .post,
            headers: headers ?? Fixtures.signedHeaders(body), body: ByteBuffer(string: body))
    }

    public static func json(_ response: TestResponse) throws -> JSONValue {
        try JSONParser.parse(Array(response.body.readableBytesView))
    }

    public static func expectError(
        _ response: TestResponse, _ status: HTTPResponse.Status, _ code: String, contains text: String = "",
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(response.status == status, sourceLocation: sourceLocation)
        let body = try json(response)
        #expect(body["error"] == .string(code), sourceLocation: sourceLocation)
        let message = body["message"]?.stringValue ?? ""
        #expect(!message.isEmpty && (text.isEmpty || message.contains(text)), "\(body)", sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
    }

    /// A gateway with workers on one fresh platform (`extra` YAML, a test plugin when given): app, gateway, platform id.
    public static func processingApp(extra: String, redisURL: String?, workers: Int = 1, plugin: String? = nil, claimIdle: Duration = .seconds(60))
        throws -> (some ApplicationProtocol, Gateway, String)
    {
        let platform = Fixtures.uniqueID()
        var yaml = Fixtures.platformYAML(id: platform, extra: extra)
        if let plugin { yaml += "\nadapter: test-plugin\nplugin_path: \(plugin)\n" }
        let dir = try Fixtures.configDirectory(["p.yaml": yaml])
        let (app, gateway) = try buildApplication(
            configuration: Fixtures.gateway(configDirectory: dir, redisURL: redisURL, workers: workers, claimIdle: claimIdle),
            environment: Fixtures.environment, logger: Fixtures.logger
        )
        return (app, gateway, platform)
    }
}
