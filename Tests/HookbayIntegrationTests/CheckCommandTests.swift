import Foundation
import HookbayTestSupport
import Testing

/// `hookbay check`, run as the real executable that `swift build` puts beside the test bundle.
@Suite struct CheckCommandTests {
    @Test func exitsZeroWhenAllIsWell() async throws {
        let dir = try Fixtures.configDirectory(["a.yaml": Fixtures.platformYAML(id: "alpha")])
        let result = try await HookbayProcess.runToEnd(["check", "--config-dir", dir], environment: Fixtures.environment)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("ok: a.yaml: platform alpha"))
    }

    @Test func printsEveryProblemAndExitsNonZero() async throws {
        let dir = try Fixtures.configDirectory([
            "a.yaml": Fixtures.platformYAML(id: "alpha"),
            "b.yaml": "platform: beta\nsecret_env: NOT_SET_HERE\nrate_limit: { per_minute: -5 }\n",
            "c.yaml": "platform: admin\nsecret_env: \(Fixtures.secretEnv)\n",
        ])
        let result = try await HookbayProcess.runToEnd(["check", "--config-dir", dir], environment: Fixtures.environment)
        #expect(result.status == 1)
        #expect(result.output.contains("b.yaml:2: secret_env: environment variable NOT_SET_HERE is not set"))
        #expect(result.output.contains("b.yaml:3: rate_limit.per_minute: must be between 1"))
        #expect(result.output.contains("c.yaml:1: platform: 'admin' is reserved"))
        #expect(result.output.contains("1 platform(s) loaded, 3 problem(s)"))
        #expect(!result.output.contains(Fixtures.secret))
    }

    /// A disabled platform whose secret variable is unset loads with a one-line notice, not an error; enabled, it is
    /// refused.
    @Test func aDisabledPlatformWithoutItsSecretIsNoted() async throws {
        let dir = try Fixtures.configDirectory([
            "a.yaml": "platform: alpha\nenabled: false\nsecret_env: UNSET_ALPHA_SECRET\n",
            "b.yaml": "platform: beta\nsecret_env: UNSET_BETA_SECRET\n",
        ])
        let result = try await HookbayProcess.runToEnd(["check", "--config-dir", dir], environment: Fixtures.environment)
        #expect(result.status == 1)
        #expect(result.output.contains("ok: a.yaml: platform alpha (disabled"))
        #expect(result.output.contains("notice: a.yaml: platform alpha is disabled and UNSET_ALPHA_SECRET is not set"))
        #expect(result.output.contains("error: b.yaml:2: secret_env: environment variable UNSET_BETA_SECRET is not set"))
        #expect(result.output.contains("1 platform(s) loaded, 1 problem(s)"))
    }

    /// The shipped examples start clean: with the one secret the README sets, nothing is refused.
    @Test func theShippedPlatformsLoadCleanly() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let result = try await HookbayProcess.runToEnd(
            ["check", "--config-dir", root.appendingPathComponent("platforms.d").path],
            environment: ["NETFLIX_WEBHOOK_SECRET": "change-me"])
        #expect(result.status == 0, "\(result.output)")
        #expect(!result.output.contains("error:"))
    }
}
