import Foundation
import HookbayJSON
import HookbayTestSupport
import Testing

@testable import Hookbay

@Suite struct PlatformFileParserTests {
    let loader = PlatformFileParser(environment: Fixtures.environment)

    func problems(_ yaml: String, file: String = "x.yaml") -> [ConfigProblem] {
        do {
            _ = try loader.parse(yaml: yaml, file: file)
            return []
        } catch {
            return error.problems
        }
    }

    @Test func minimalFileTakesDefaults() throws {
        let config = try loader.parse(yaml: "platform: hulu\nsecret_env: \(Fixtures.secretEnv)\n", file: "hulu.yaml")
        #expect(config.id == "hulu")
        #expect(config.enabled)
        #expect(config.adapter == "generic")
        #expect(config.secrets == [PlatformSecret(bytes: Array(Fixtures.secret.utf8), source: "env:\(Fixtures.secretEnv)")])
        #expect(config.signature == PlatformConfig.Signature())
        #expect(config.signature.header == "X-Webhook-Signature")
        #expect(config.rateLimit == .init(perMinute: 100, burst: 100))
        #expect(config.dedupTTLSeconds == 86_400)
        #expect(config.requiredFields == [])
        #expect(config.eventTypes == ["content_added": .contentAdded, "content_updated": .contentUpdated, "content_removed": .contentRemoved])
        #expect(config.sourceFile == "hulu.yaml")
    }

    @Test func fullFile() throws {
        let yaml = """
            platform: netflix
            enabled: false
            adapter: netflix
            adapter_config: { region: eu, weights: [1, 2.5], strict: true }
            secret_env: [\(Fixtures.secretEnv), OTHER_SECRET]
            signature: { scheme: hmac-sha256, header: X-Sig, prefix: "", encoding: base64 }
            rate_limit: { per_minute: 600, burst: 50 }
            dedup_ttl_hours: 48
            required_fields: [content_id, metadata.rating]
            event_types:
              title.updated: content_updated
              added: content_added
            """
        let loader = PlatformFileParser(environment: [Fixtures.secretEnv: "a", "OTHER_SECRET": "b"])
        let config = try loader.parse(yaml: yaml, file: "netflix.yaml")
        #expect(!config.enabled)
        #expect(config.adapter == "netflix")
        #expect(
            config.adapterConfig == .object(["region": .string("eu"), "weights": .array([.number("1"), .number("2.5")]), "strict": .bool(true)]))
        #expect(config.secrets.map(\.bytes) == [Array("a".utf8), Array("b".utf8)])
        #expect(config.signature.header == "X-Sig")
        #expect(config.signature.prefix == "")
        #expect(config.signature.encoding == .base64)
        #expect(config.rateLimit == .init(perMinute: 600, burst: 50))
        #expect(config.dedupTTLSeconds == 48 * 3600)
        #expect(config.requiredFields == ["content_id", "metadata.rating"])
        #expect(config.eventTypes == ["title.updated": .contentUpdated, "added": .contentAdded])
    }

    @Test func secretFileRelativeToDirectory() throws {
        let dir = try Fixtures.configDirectory(["hulu.secret": "from-file\n"])
        let config = try loader.parse(yaml: "platform: hulu\nsecret_file: hulu.secret\n", file: "hulu.yaml", directory: dir)
        #expect(config.secrets.map(\.bytes) == [Array("from-file".utf8)])
    }

    @Test(arguments: [
        ("platform: [x", nil as String?, "not valid YAML"),
        ("- a\n- b", nil, "must be a YAML mapping"),
        ("secret_env: \(Fixtures.secretEnv)", "platform", "is required"),
        ("platform: Netflix!\nsecret_env: \(Fixtures.secretEnv)", "platform", "not a valid id"),
        ("platform: register\nsecret_env: \(Fixtures.secretEnv)", "platform", "reserved"),
        ("platform: metrics\nsecret_env: \(Fixtures.secretEnv)", "platform", "reserved"),
        ("platform: a\nsecret_env: \(Fixtures.secretEnv)\ncolour: red", "colour", "unknown key"),
        ("platform: a\nsecret_env: \(Fixtures.secretEnv)\nrate_limit: { per_minit: 5 }", "rate_limit.per_minit", "unknown key"),
        ("platform: a\nsecret_env: \(Fixtures.secretEnv)\nrate_limit: { per_minute: 0 }", "rate_limit.per_minute", "between 1 and"),
        ("platform: a\nsecret_env: \(Fixtures.secretEnv)\nrate_limit: { per_minute: lots }", "rate_limit.per_minute", "whole number"),
        ("platform: a\nsecret_env: \(Fixtures.secretEnv)\nrate_limit: 5", "rate_limit", "must be a mapping"),
        ("platform: a\nsecret_env: \(Fixtures.secretEnv)\nenabled: maybe", "enabled", "true or false"),
        ("platform: a\nsecret_env: \(Fixtures.secretEnv)\ndedup_ttl_hours: 0", "dedup_ttl_hours", "between 1 and 8760"),
        ("platform: a\nsecret_env: UNSET_SECRET_VAR", "secret_env", "UNSET_SECRET_VAR is not set"),
        ("platform: a", "secret_env", "is required"),
        ("platform: a\nsecret_env: \(Fixtures.secretEnv)\nsecret_file: x", "secret_file", "not both"),
        ("platform: a\nsecret_file: /nonexistent/secret", "secret_file", "cannot read"),
        ("platform: a\nsecret_env: \(Fixtures.secretEnv)\nsignature: { scheme: md5 }", "signature.scheme", "not 'md5'"),
        ("platform: a\nsecret_env: \(Fixtures.secretEnv)\nsignature: { encoding: hex2 }", "signature.encoding", "hex or base64"),
        ("platform: a\nsecret_env: \(Fixtures.secretEnv)\nsignature: { header: 'Bad Header' }", "signature.header", "not a valid HTTP header"),
        ("platform: a\nsecret_env: \(Fixtures.secretEnv)\ncontent_encoding: br", "content_encoding", "must be gzip or deflate, not 'br'"),
        ("platform: a\nsecret_env: \(Fixtures.secretEnv)\ncontent_encoding: []", "content_encoding", "at least one"),
        (
            "platform: a\nsecret_env: \(Fixtures.secretEnv)\nsignature: { signed_body: encoded }", "signature.signed_body",
            "only applies with content_encoding"
        ),
        ("platform: a\nsecret_env: \(Fixtures.secretEnv)\nrequired_fields: content_id", "required_fields", "must be a list"),
        ("platform: a\nsecret_env: \(Fixtures.secretEnv)\nrequired_fields: [a..b]", "required_fields", "dotted path"),
        // An empty name after a "." that a combining mark follows (one Character with it, two names to a look-up).
        ("platform: a\nsecret_env: \(Fixtures.secretEnv)\nrequired_fields: [\"a..\u{301}\"]", "required_fields", "dotted path"),
        ("platform: a\nsecret_env: \(Fixtures.secretEnv)\nevent_types: { added: created }", "event_types.added", "not one of content_added"),
        ("platform: a\nsecret_env: \(Fixtures.secretEnv)\nevent_types: {}", "event_types", "at least one"),
        ("platform: a\nsecret_env: \(Fixtures.secretEnv)\nadapter: Bad Name", "adapter", "not a valid adapter name"),
        ("platform: a\nplatform: b\nsecret_env: \(Fixtures.secretEnv)", nil, "duplicated key"),
    ])
    func refuses(yaml: String, key: String?, message: String) {
        let found = problems(yaml, file: "bad.yaml")
        #expect(found.contains { $0.key == key && $0.message.contains(message) && $0.file == "bad.yaml" }, "\(found)")
    }

    @Test func problemNamesFileKeyAndLine() {
        let found = problems("platform: a\nsecret_env: \(Fixtures.secretEnv)\nrate_limit:\n  per_minute: -1\n", file: "a.yaml")
        #expect(found.map(\.description) == ["a.yaml:4: rate_limit.per_minute: must be between 1 and 60000000, not -1"])
    }

    @Test func directoryLoadsGoodFilesAndReportsBadOnes() throws {
        let dir = try Fixtures.configDirectory([
            "a.yaml": Fixtures.platformYAML(id: "alpha"),
            "b.yml": Fixtures.platformYAML(id: "beta"),
            "c.yaml": Fixtures.platformYAML(id: "alpha"),
            "d.yaml": "platform: delta\nsecret_env: NOT_SET_ANYWHERE\n",
            "notes.txt": "ignored",
            ".hidden.yaml": "ignored: [",
        ])
        let report = try PlatformDirectory.read(dir, parser: loader)
        #expect(Set(report.platforms.keys) == ["alpha", "beta"])
        #expect(report.problems.count == 2)
        #expect(report.problems.contains { $0.file == "c.yaml" && $0.key == "platform" && $0.message.contains("already defined in a.yaml") })
        #expect(report.problems.contains { $0.file == "d.yaml" && $0.key == "secret_env" })
    }

    @Test func missingDirectoryIsAnError() {
        #expect(throws: ConfigProblem.self) { try PlatformDirectory.read("/nonexistent/platforms.d", parser: loader) }
    }

    @Test func shippedPlatformFilesLoad() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let loader = PlatformFileParser(environment: [
            "NETFLIX_WEBHOOK_SECRET": "x", "GENERIC_EXAMPLE_WEBHOOK_SECRET": "y", "GITHUB_WEBHOOK_SECRET": "g",
            "STRIPE_WEBHOOK_SECRET": "whsec_s", "STANDARD_WEBHOOKS_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ])
        let report = try PlatformDirectory.read(root.appendingPathComponent("platforms.d").path, parser: loader)
        #expect(report.problems == [])
        #expect(report.platforms["netflix"]?.adapter == "netflix")
        #expect(report.platforms["generic-example"] != nil)
        #expect(report.platforms["github-example"]?.signature.scheme == .github)
        #expect(report.platforms["stripe-example"]?.signature.scheme == .stripe)
        #expect(report.platforms["standard-webhooks-example"]?.signature.scheme == .standardWebhooks)
        for scheme in [PlatformConfig.Signature.Scheme.slack, .shopify, .gitlab, .zoom] {
            #expect(report.platforms["\(scheme.rawValue)-example"]?.signature.scheme == scheme)
            #expect(report.platforms["\(scheme.rawValue)-example"]?.enabled == false)
        }
        #expect(report.platforms.count == 9)
    }
}

/// `content_encoding:`: the compressed bodies a platform decodes.
@Suite struct ContentEncodingFileTests {
    @Test func listsOrOneNameAndNoneByDefault() throws {
        let parser = PlatformFileParser(environment: Fixtures.environment)
        let none = try parser.parse(yaml: Fixtures.platformYAML(id: "a"), file: "a.yaml")
        #expect(none.contentEncodings.isEmpty)
        let both = try parser.parse(yaml: Fixtures.platformYAML(id: "a", extra: "content_encoding: [gzip, deflate]"), file: "a.yaml")
        #expect(both.contentEncodings == [.gzip, .deflate])
        let one = try parser.parse(
            yaml: Fixtures.platformYAML(id: "a", extra: "content_encoding: gzip\nsignature: { signed_body: encoded }"), file: "a.yaml")
        #expect(one.contentEncodings == [.gzip] && one.signature.signedBody == .encoded)
    }
}
