import Foundation
import HookbayTestSupport
import Testing

@testable import Hookbay

/// Platform files come from repositories and ConfigMaps other people write to: their size, their node count once
/// aliases are expanded and their nesting are bounded, and each refusal names the file.
@Suite struct ConfigBoundsTests {
    let loader = PlatformFileParser(environment: Fixtures.environment)

    func refusal(_ yaml: String) -> String? {
        do {
            _ = try loader.parse(yaml: yaml, file: "bomb.yaml")
            return nil
        } catch {
            #expect(error.problems.allSatisfy { $0.file == "bomb.yaml" })
            return error.problems.map(\.message).joined(separator: "; ")
        }
    }

    /// Nine anchors of nine references each: about 1 KB standing for 9^9 strings.
    static let billionLaughs: String = {
        var yaml =
            "platform: bomb\nsecret_env: \(Fixtures.secretEnv)\nadapter_config:\n  a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        for level in 1...8 {
            let refs = Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ",")
            yaml += "  a\(level): &a\(level) [\(refs)]\n"
        }
        return yaml
    }()

    @Test func aliasBombIsRefusedQuickly() {
        let started = ContinuousClock.now
        let message = refusal(Self.billionLaughs)
        #expect(message?.contains("anchors and aliases") == true, "\(message ?? "loaded")")
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    /// Aliases as mapping keys cost the YAML library exponential time (hashing keys for duplicates) in little memory:
    /// refused before it sees them.
    @Test func aliasKeysAreRefusedBeforeComposing() {
        var yaml = "platform: keys\nsecret_env: \(Fixtures.secretEnv)\nadapter_config:\n  a0: &a0 {x: 1, y: 2}\n"
        for level in 1...39 { yaml += "  a\(level): &a\(level) {? [*a\(level - 1), 1] : 1, ? [*a\(level - 1), 2] : 2}\n" }
        #expect(refusal(yaml)?.contains("anchors and aliases") == true)
    }

    /// Only what YAML reads as anchors is refused: ampersands, asterisks and apostrophes inside plain values and quoted
    /// strings are values.
    @Test func valuesThatLookLikeIndicatorsStillLoad() throws {
        let config = try loader.parse(
            yaml: """
                platform: plain
                secret_env: \(Fixtures.secretEnv)
                adapter_config:
                  title: Rock & Roll
                  schedule: 0 */5 * * *
                  note: it's [fine]
                  quoted: "*not an alias* and &not an anchor"
                  single: '&also ''fine'''
                  link: https://example.com/?a=1&b=2 # a comment with *stars
                """, file: "ok.yaml")
        #expect(config.adapterConfig?["schedule"] == .string("0 */5 * * *"))
        #expect(config.adapterConfig?["single"] == .string("&also 'fine'"))
    }

    @Test func anApostropheDoesNotHideFlowNesting() {
        let yaml =
            "platform: deep\nsecret_env: \(Fixtures.secretEnv)\nnote: it's\nadapter_config: { a: " + String(repeating: "[", count: 10_000) + "\n"
        #expect(refusal(yaml)?.contains("nested more than 32 levels") == true)
    }

    @Test func deepNestingIsRefused() {
        let flow = "platform: deep\nsecret_env: \(Fixtures.secretEnv)\nadapter_config: { a: " + String(repeating: "[", count: 10_000) + "\n"
        #expect(refusal(flow)?.contains("nested more than 32 levels") == true)
        var block = "platform: deep\nsecret_env: \(Fixtures.secretEnv)\nadapter_config:\n"
        for depth in 1...40 { block += String(repeating: " ", count: depth) + "k\(depth):\n" }
        #expect(refusal(block)?.contains("nested more than 32 levels") == true)
    }

    @Test func hugeFileIsRefused() {
        let yaml =
            "platform: big\nsecret_env: \(Fixtures.secretEnv)\nurl: \"" + String(repeating: "a", count: PlatformFileParser.maxFileBytes) + "\"\n"
        #expect(refusal(yaml)?.contains("platform files are limited to") == true)
    }

    @Test func rateLimitScopeIsInstanceOrGlobal() throws {
        let base = "platform: limited\nsecret_env: \(Fixtures.secretEnv)\n"
        #expect(try loader.parse(yaml: base, file: "a.yaml").rateLimit.scope == .instance)
        let global = try loader.parse(yaml: base + "rate_limit: { per_minute: 60, scope: global }\n", file: "a.yaml")
        #expect(global.rateLimit == PlatformConfig.RateLimit(perMinute: 60, burst: 60, scope: .global))
        #expect(refusal(base + "rate_limit: { scope: galactic }\n")?.contains("must be instance or global") == true)
    }

    @Test func processingCanBePaused() throws {
        let paused = try loader.parse(yaml: "platform: held\nsecret_env: \(Fixtures.secretEnv)\nprocessing: paused\n", file: "held.yaml")
        #expect(paused.processing == .paused)
        #expect(refusal("platform: held\nsecret_env: \(Fixtures.secretEnv)\nprocessing: stopped\n")?.contains("must be active or paused") == true)
    }

    /// A bomb dropped into a running server's directory is refused by the reloader with the file named, and the other
    /// platforms keep serving.
    @Test func reloaderRefusesABombAndKeepsServing() throws {
        let dir = try Fixtures.configDirectory(["a.yaml": Fixtures.platformYAML(id: "alpha")])
        let loader = PlatformLoader(environment: Fixtures.environment, pluginDirectories: PlatformLoader.searchDirectories(pluginDirectory: nil))
        let registry = PlatformRegistry(platforms: try loader.load(directory: dir).platforms)
        let reloader = ConfigReloader(directory: dir, loader: loader, registry: registry, logger: Fixtures.logger)
        try Self.billionLaughs.write(toFile: dir + "/bomb.yaml", atomically: true, encoding: .utf8)
        let report = reloader.reload(force: false)
        #expect(report.problems.contains { $0.file == "bomb.yaml" && $0.message.contains("anchors and aliases") })
        #expect(registry.platform("alpha") != nil)
    }

    /// Rate-limit buckets are kept per platform served: a reload that removes a platform forgets its buckets, so they
    /// grow with the platforms served, not with every platform ever configured.
    @Test func reloadsForgetTheBucketsOfPlatformsGone() throws {
        let dir = try Fixtures.configDirectory(["a.yaml": Fixtures.platformYAML(id: "alpha"), "b.yaml": Fixtures.platformYAML(id: "beta")])
        let loader = PlatformLoader(environment: Fixtures.environment, pluginDirectories: PlatformLoader.searchDirectories(pluginDirectory: nil))
        let registry = PlatformRegistry(platforms: try loader.load(directory: dir).platforms)
        let limiter = RateLimiter()
        let reloader = ConfigReloader(
            directory: dir, loader: loader, registry: registry, served: { limiter.retain(platforms: $0) }, logger: Fixtures.logger)
        for id in ["alpha", "beta"] {
            _ = limiter.admit(platform: id, limit: PlatformConfig.RateLimit(perMinute: 60, burst: 5))
            _ = limiter.admit(platform: id + "#handshake", limit: RateLimiter.handshakeLimit)
        }
        #expect(limiter.keys == ["alpha", "alpha#handshake", "beta", "beta#handshake"])
        try FileManager.default.removeItem(atPath: dir + "/b.yaml")
        #expect(reloader.reload(force: false).changed)
        #expect(limiter.keys == ["alpha", "alpha#handshake"])
    }

    /// Files are read only when regular and within their limit: a platform file or a secret file that is a link to
    /// an endless device is refused at once, not read for ever.
    @Test func endlessFilesAreRefusedNotRead() throws {
        let dir = try Fixtures.configDirectory([
            "ok.yaml": Fixtures.platformYAML(id: "fine"),
            "zero-secret.yaml": "platform: zero\nsecret_file: /dev/zero\n",
        ])
        try FileManager.default.createSymbolicLink(atPath: dir + "/endless.yaml", withDestinationPath: "/dev/zero")
        let started = ContinuousClock.now
        let report = try PlatformDirectory.read(dir, parser: loader)
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(report.platforms["fine"] != nil)
        #expect(report.problems.contains { $0.file == "endless.yaml" && $0.message.contains("regular files") })
        #expect(report.problems.contains { $0.file == "zero-secret.yaml" && $0.key == "secret_file" })
        #expect(try ConfigReloader.fingerprint(of: dir, secretFiles: ["/dev/zero"]).count == 32)
    }
}
