import Yams

extension PlatformFileParser {
    /// `envelope:`: where a delivery's event type, id, payload and timestamp come from when it is not the seed's shape;
    /// `body_format`, `form_field` and `content_encoding`: how the body is sent.
    func readEnvelope(_ fields: [String: Node], into config: inout PlatformConfig, _ reader: inout YAMLFieldReader) {
        if let node = fields["content_encoding"] {
            let items: [Node] = if case .sequence(let sequence) = node { Array(sequence) } else { [node] }
            if items.isEmpty { reader.add("content_encoding", node, "must name at least one of gzip and deflate (leave it out for none)") }
            for item in items {
                if let coding = reader.choice(item, key: "content_encoding", of: PlatformConfig.ContentCoding.self) {
                    config.contentEncodings.insert(coding)
                }
            }
        }
        if config.signature.signedBody == .encoded, config.contentEncodings.isEmpty {
            reader.add("signature.signed_body", nil, "only applies with content_encoding (the platform accepts no compressed body)")
        }
        var form = false
        if let node = fields["body_format"], let text = reader.string(node, key: "body_format") {
            switch text {
            case "json": break
            case "form": form = true
            default: reader.add("body_format", node, "must be json or form, not '\(text)'")
            }
        }
        if let node = fields["form_field"] {
            if !form { reader.add("form_field", node, "only applies to body_format: form") }
            if let text = reader.string(node, key: "form_field") { config.formField = text }
        } else if form {
            config.formField = "payload"
        }
        if let node = fields["envelope"], let sub = reader.mapping(node, key: "envelope") {
            let e = reader.fields(of: sub, allowed: ["event_type", "event_id", "payload", "timestamp"], path: "envelope")
            var envelope = PlatformConfig.Envelope()
            if let n = e["event_type"], let source = reader.source(n, key: "envelope.event_type") { envelope.eventType = source }
            if let n = e["event_id"], let source = reader.source(n, key: "envelope.event_id") { envelope.eventID = source }
            if let n = e["timestamp"], let source = reader.source(n, key: "envelope.timestamp") { envelope.timestamp = source }
            if let n = e["payload"], let source = reader.source(n, key: "envelope.payload") {
                if case .json(let pointer) = source {
                    envelope.payload = pointer
                } else {
                    reader.add("envelope.payload", n, "must come from the body: { json: <pointer> }")
                }
            }
            config.envelope = envelope
        }

    }
}
