/// A platform ready to serve: its configuration, its signature verifier (keys prepared once) and its adapter.
///
/// Immutable, and a class: a delivery's look-up hands out one reference, where copying the configuration's two dozen
/// strings, arrays and sets meant as many reference-count updates, on memory every event loop shares.
public final class ServedPlatform: Sendable {
    public let config: PlatformConfig
    public let verifier: SignatureVerifier
    public let adapter: AdapterInstance

    public init(config: PlatformConfig, adapter: AdapterInstance) {
        self.config = config
        self.verifier = SignatureVerifier(signature: config.signature, secrets: config.secrets)
        self.adapter = adapter
    }

    public var id: String { config.id }
}
