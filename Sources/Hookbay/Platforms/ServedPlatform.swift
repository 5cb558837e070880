import HookbayJSON

/// A platform ready to serve: its configuration, its signature verifier (keys prepared once) and its adapter.
///
/// Immutable, and a class: a delivery's look-up hands out one reference, where copying the configuration's two dozen
/// strings, arrays and sets meant as many reference-count updates, on memory every event loop shares.
public final class ServedPlatform: Sendable {
    public let config: PlatformConfig
    public let verifier: SignatureVerifier
    public let adapter: AdapterInstance
    /// What of a delivery's body the receive path builds (``WebhookEnvelope/selection(for:schema:)``).
    public let receiveSelection: JSONSelection
    /// Where the payload is in a delivery's body, as pointer tokens (``WebhookEnvelope/payloadTokens(for:)``).
    public let payloadTokens: [String]?

    public init(config: PlatformConfig, adapter: AdapterInstance) {
        self.config = config
        self.verifier = SignatureVerifier(signature: config.signature, secrets: config.secrets)
        self.adapter = adapter
        self.receiveSelection = WebhookEnvelope.selection(for: config, schema: adapter.receiveSchema)
        self.payloadTokens = WebhookEnvelope.payloadTokens(for: config)
    }

    public var id: String { config.id }

    /// This platform with no secret: it answers `503 secret_unavailable` until a reload finds its secret again (a
    /// secret file that disappeared or was emptied must stop authenticating at once, never leave the old key serving).
    public func withoutSecrets() -> ServedPlatform {
        var config = self.config
        config.secrets = []
        return ServedPlatform(config: config, adapter: self.adapter)
    }

    /// This platform with its secret files read again: a kept previous version (its file now refused) follows its
    /// secrets all the same, rotated or revoked. Itself when nothing changed or it has no secret file.
    public func withSecretFilesReread() -> ServedPlatform {
        let files = self.config.secretFiles
        guard !files.isEmpty else { return self }
        var secrets: [PlatformSecret] = []
        for (index, path) in files.enumerated() {
            guard let bytes = PlatformFileParser.readSecretFile(path), !bytes.isEmpty else { return self.withoutSecrets() }
            // The source as the file named it (a path relative to the config directory), when it is still known.
            let source = index < self.config.secrets.count ? self.config.secrets[index].source : "file:\(path)"
            secrets.append(PlatformSecret(bytes: bytes, source: source))
        }
        guard secrets != self.config.secrets else { return self }
        var config = self.config
        config.secrets = secrets
        return ServedPlatform(config: config, adapter: self.adapter)
    }

    /// Whether the platform has a key to check signatures with.
    public var hasSecrets: Bool { !self.config.secrets.isEmpty }
}
