import Foundation
import HookbayTestSupport
import Testing

@testable import Hookbay

/// Whether Python's `standardwebhooks` library is installed (`pip install standardwebhooks`; CI installs it).
enum PythonStandardWebhooks {
    static let available = Python.hasModule("standardwebhooks")

    /// Verifies argv[3] (the body) with argv[2] (the headers, as JSON) under argv[1] (the secret); exits 0 if it holds.
    static let verify = """
        import json, sys
        from standardwebhooks.webhooks import Webhook
        Webhook(sys.argv[1]).verify(sys.argv[3], json.loads(sys.argv[2]))
        print("verified")
        """
}

/// A forwarded delivery's signature, checked by the reference `standardwebhooks` library (PyPI), as a destination
/// written in Python would check it.
@Suite(.enabled(if: PythonStandardWebhooks.available || TestRedis.isCI, "pip install standardwebhooks to run"))
struct StandardWebhooksInteropTests {
    @Test func theReferenceLibraryVerifiesEachKeysSignature() async throws {
        let now = Int64(Date().timeIntervalSince1970)
        let message = ForwardMessage(ForwardFixtures.delivery(), to: try ForwardFixtures.destination(), now: now)
        let headers = Dictionary(message.headers.map { ($0.0, $0.1) }, uniquingKeysWith: { $1 })
        let headerJSON = String(decoding: try JSONSerialization.data(withJSONObject: headers), as: UTF8.self)
        let body = String(decoding: message.body, as: UTF8.self)
        for secret in ForwardFixtures.secrets {
            let key = secret.hasPrefix("whsec_") ? secret : "whsec_" + secret
            let (status, output) = try await ChildProcess.run("python3", ["-c", PythonStandardWebhooks.verify, key, headerJSON, body])
            #expect(status == 0 && output.contains("verified"), "standardwebhooks refused it: \(output)")
        }
        // A changed body is refused by it too.
        let (status, _) = try await ChildProcess.run(
            "python3", ["-c", PythonStandardWebhooks.verify, ForwardFixtures.secrets[0], headerJSON, body + " "])
        #expect(status != 0)
    }
}
