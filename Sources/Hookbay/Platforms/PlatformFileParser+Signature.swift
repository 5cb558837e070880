import Yams

extension PlatformFileParser {
    /// The shortest shared token a `token` scheme accepts.
    static let minTokenBytes = 16

    /// `signature:`: the scheme (or a sender's preset) and where its signature travels; a standard-webhooks secret must
    /// be `whsec_<base64>`.
    func readSignature(_ fields: [String: Node], into config: inout PlatformConfig, _ reader: inout YAMLFieldReader) {
        if let node = fields["signature"], let sub = reader.mapping(node, key: "signature") {
            let s = reader.fields(
                of: sub,
                allowed: [
                    "scheme", "header", "prefix", "encoding", "tolerance_seconds", "max_age_seconds", "algorithm", "signed_content", "timestamp",
                    "signed_body",
                ], path: "signature")
            if let n = s["scheme"], let scheme = reader.choice(n, key: "signature.scheme", of: PlatformConfig.Signature.Scheme.self) {
                config.signature = .init(scheme: scheme)
            }
            let scheme = config.signature.scheme
            if let n = s["header"], let v = reader.string(n, key: "signature.header") {
                if Self.isValidHeaderName(v) {
                    config.signature.header = v
                } else {
                    reader.add("signature.header", n, "'\(v)' is not a valid HTTP header name")
                }
            } else if config.signature.header.isEmpty {
                reader.add(
                    "signature.header", node,
                    "scheme \(scheme.rawValue) needs header: the request header that carries the \(scheme == .token ? "token" : "signature")")
            }
            // Keys that only mean something to some schemes.
            let macText = scheme == .hmacSHA256 || scheme.family == .template
            for key in ["prefix", "encoding"] where s[key] != nil && !macText {
                reader.add("signature.\(key)", s[key], "only applies to schemes hmac-sha256, hmac, slack, shopify and zoom, not \(scheme.rawValue)")
            }
            for key in ["algorithm", "signed_content", "timestamp"] where s[key] != nil && scheme.family != .template {
                reader.add("signature.\(key)", s[key], "only applies to schemes hmac, slack, shopify and zoom, not \(scheme.rawValue)")
            }
            if let n = s["prefix"], let v = reader.string(n, key: "signature.prefix", allowEmpty: true) { config.signature.prefix = v }
            if let n = s["encoding"], let v = reader.choice(n, key: "signature.encoding", of: PlatformConfig.Signature.Encoding.self) {
                config.signature.encoding = v
            }
            if let n = s["signed_body"], let v = reader.choice(n, key: "signature.signed_body", of: PlatformConfig.Signature.SignedBody.self) {
                config.signature.signedBody = v
            }
            if let n = s["algorithm"], let v = reader.choice(n, key: "signature.algorithm", of: PlatformConfig.Signature.Algorithm.self) {
                config.signature.algorithm = v
            }
            if let n = s["signed_content"], let v = reader.string(n, key: "signature.signed_content") {
                do {
                    config.signature.signedContent = try SignedContent.parse(v)
                } catch {
                    reader.add("signature.signed_content", n, error.description)
                }
            }
            var nestedTolerance = false
            if let n = s["timestamp"], let t = reader.mapping(n, key: "signature.timestamp") {
                let tf = reader.fields(of: t, allowed: ["header", "tolerance_seconds"], path: "signature.timestamp")
                if let h = tf["header"], let v = reader.string(h, key: "signature.timestamp.header") {
                    if Self.isValidHeaderName(v) {
                        config.signature.timestampHeader = v
                    } else {
                        reader.add("signature.timestamp.header", h, "'\(v)' is not a valid HTTP header name")
                    }
                } else {
                    reader.add("signature.timestamp.header", n, "is required: the header holding the Unix seconds the sender signed")
                }
                if let h = tf["tolerance_seconds"], let v = reader.int(h, key: "signature.timestamp.tolerance_seconds", range: 1...86_400) {
                    config.signature.toleranceSeconds = v
                    nestedTolerance = true
                }
            }
            if let n = s["tolerance_seconds"], let v = reader.int(n, key: "signature.tolerance_seconds", range: 1...86_400) {
                if nestedTolerance {
                    reader.add("signature.tolerance_seconds", n, "is given twice: keep only signature.timestamp.tolerance_seconds")
                }
                config.signature.toleranceSeconds = v
            }
            let signature = config.signature
            if s["tolerance_seconds"] != nil, !signature.isTimestamped, signature.scheme != .hmacSHA256 {
                reader.add("signature.tolerance_seconds", s["tolerance_seconds"], "has no effect: scheme \(scheme.rawValue) signs no timestamp here")
            }
            // A timestamp the MAC does not cover can be rewritten: a captured delivery would replay for ever.
            if let timestamp = signature.timestampHeader, scheme.family == .template,
                !signature.signedContent.headerNames.contains(where: { $0.lowercased() == timestamp.lowercased() })
            {
                reader.add(
                    "signature.timestamp", s["timestamp"] ?? s["signed_content"] ?? node,
                    "the timestamp header \(timestamp) must be signed too: name {header:\(timestamp)} in signed_content")
            }
            if let n = s["max_age_seconds"], let v = reader.int(n, key: "signature.max_age_seconds", range: 1...31_536_000) {
                if scheme == .hmacSHA256 {
                    config.signature.maxAgeSeconds = v
                } else {
                    reader.add("signature.max_age_seconds", n, "only applies to scheme hmac-sha256; timestamped schemes use tolerance_seconds")
                }
            }
        }
        self.readHandshake(fields, into: &config, &reader)
        if config.signature.scheme.family == .token {
            for secret in config.secrets where secret.bytes.count < Self.minTokenBytes {
                reader.add(
                    fields["secret_env"] != nil ? "secret_env" : "secret_file", fields["secret_env"] ?? fields["secret_file"],
                    "the token from \(secret.source) is shorter than \(Self.minTokenBytes) bytes: a token is guessed, not computed, so it must be long"
                )
            }
        }
        if config.signature.scheme == .standardWebhooks {
            for secret in config.secrets where SignatureVerifier.key(for: secret, scheme: .standardWebhooks) == nil {
                reader.add(
                    fields["secret_env"] != nil ? "secret_env" : "secret_file", fields["secret_env"] ?? fields["secret_file"],
                    "the secret from \(secret.source) is not whsec_<base64> (nor plain base64), as standard-webhooks needs")
            }
        }
    }

    /// `handshake:` and, for `meta`, `handshake_token_env`.
    func readHandshake(_ fields: [String: Node], into config: inout PlatformConfig, _ reader: inout YAMLFieldReader) {
        if let node = fields["handshake"], let handshake = reader.choice(node, key: "handshake", of: PlatformConfig.Handshake.self) {
            config.handshake = handshake
        }
        // X's CRC answers anyone with an HMAC, under the delivery key, of token characters; a body signed as sent
        // (compressed) can be made of those characters and inflate to JSON.
        if config.handshake == .twitterCRC, config.signature.signedBody == .encoded {
            reader.add(
                "handshake", fields["handshake"],
                "twitter_crc cannot go with signature.signed_body: encoded (its CRC answers would sign compressed bodies)")
        }
        let tokenNode = fields["handshake_token_env"]
        if config.handshake == .meta {
            guard let tokenNode else {
                reader.add("handshake_token_env", fields["handshake"], "is required for handshake meta: the variable holding the verify token")
                return
            }
            guard let name = reader.string(tokenNode, key: "handshake_token_env") else { return }
            if let value = self.environment[name], !value.isEmpty {
                if value.utf8.count < Self.minTokenBytes {
                    // Anyone may try a verify token with a GET; a short one is guessed.
                    reader.add(
                        "handshake_token_env", tokenNode,
                        "the verify token in \(name) is shorter than \(Self.minTokenBytes) bytes: it is guessed, not computed, so it must be long")
                }
                config.handshakeToken = PlatformSecret(bytes: Array(value.utf8), source: "env:\(name)")
            } else if config.enabled {
                reader.add("handshake_token_env", tokenNode, "environment variable \(name) is not set (or is empty)")
            }
        } else if let tokenNode {
            reader.add("handshake_token_env", tokenNode, "only applies to handshake meta")
        }
    }
}
