/// A platform ready to serve: its configuration, its signature verifier (keys prepared once) and its adapter.
public struct ServedPlatform: Sendable {
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
