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

    /// This platform with no secret: it answers `503 secret_unavailable` until a reload finds its secret again (a
    /// secret file that disappeared or was emptied must stop authenticating at once, never leave the old key serving).
    public func withoutSecrets() -> ServedPlatform {
        var config = self.config
        config.secrets = []
        return ServedPlatform(config: config, adapter: self.adapter)
    }

    /// Whether the platform has a key to check signatures with.
    public var hasSecrets: Bool { !self.config.secrets.isEmpty }
}
