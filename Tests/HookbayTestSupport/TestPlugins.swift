import Foundation
import HTTPTypes
import HookbayRedis
import Logging
import NIOCore
import Synchronization
import Testing

@testable import Hookbay

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Builds test-only C plugins from `Fixtures/bad_plugins.c` with gcc, and finds the package's real ones.
public enum TestPlugins {
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Where `swift build` put the real plugins: beside the test bundle.
    public static var buildDirectory: String { PluginLoader.executableDirectory! }

    public static func real(_ product: String) -> String { "\(buildDirectory)/lib\(product).so" }

    /// Compiles a variant into `directory` (a new temporary one by default) and returns its path.
    public static func build(variant: String?, name: String = "test-plugin", in directory: String? = nil) async throws -> String {
        let dir = try directory ?? Fixtures.configDirectory([:])
        let output = "\(dir)/lib\(variant ?? "ok")-\(name).so"
        var arguments = [
            "gcc", "-shared", "-fPIC", "-O1", "-o", output,
            "-I", packageRoot.appendingPathComponent("Sources/HookbayPluginABI/include").path,
            "-DNAME=\"\(name)\"",
        ]
        if let variant { arguments.append("-DVARIANT_\(variant)") }
        arguments.append(packageRoot.appendingPathComponent("Tests/Fixtures/bad_plugins.c").path)
        // gcc's messages go to the test process's own output, as before.
        let status = try await ChildProcess.spawn("/usr/bin/env", arguments).waitForExit()
        guard status == 0 else { throw TestSetupError("gcc failed for variant \(variant ?? "ok")") }
        return output
    }
}
