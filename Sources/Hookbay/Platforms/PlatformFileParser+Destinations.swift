import Yams

extension PlatformFileParser {
    /// Destinations one platform may forward to, at most.
    public static let maxDestinations = 32

    /// `destinations:`, a list of downstream services the platform's accepted events are forwarded to.
    func readDestinations(_ fields: [String: Node], into config: inout PlatformConfig, directory: String, _ reader: inout YAMLFieldReader) {
        guard let node = fields["destinations"], let items = reader.sequence(node, key: "destinations") else { return }
        guard items.count <= Self.maxDestinations else {
            reader.add("destinations", node, "lists \(items.count) destinations: at most \(Self.maxDestinations)")
            return
        }
        var names: Set<String> = []
        for (index, item) in items.enumerated() {
            guard let destination = self.readDestination(item, index: index, directory: directory, &reader) else { continue }
            if !names.insert(destination.name).inserted {
                reader.add("destinations[\(index)].name", item, "'\(destination.name)' is used by another destination of this platform")
                continue
            }
            config.destinations.append(destination)
        }
    }

    private func readDestination(_ node: Node, index: Int, directory: String, _ reader: inout YAMLFieldReader) -> ForwardDestination? {
        let path = "destinations[\(index)]"
        guard let mapping = reader.mapping(node, key: path) else { return nil }
        let f = reader.fields(
            of: mapping,
            allowed: ["name", "url", "events", "body", "signing", "timeout_ms", "retry", "max_in_flight", "max_backlog", "circuit_breaker"],
            path: path)
        var name: String?
        if let n = f["name"], let value = reader.string(n, key: "\(path).name") {
            if Self.isValidID(value) {
                name = value
            } else {
                reader.add("\(path).name", n, "'\(value)' is not a valid name: use 1 to 64 of a-z, 0-9, '_' and '-'")
            }
        } else if f["name"] == nil {
            reader.add("\(path).name", node, "is required: it names the destination's queue, dead letters and metrics")
        }
        var url: ForwardURL?
        if let n = f["url"], let value = reader.string(n, key: "\(path).url") {
            switch ForwardURL.parse(value) {
            case .success(let parsed): url = parsed
            case .failure(let problem): reader.add("\(path).url", n, problem.description)
            }
        } else if f["url"] == nil {
            reader.add("\(path).url", node, "is required: where deliveries are POSTed")
        }
        guard let name, let url else { return nil }
        var destination = ForwardDestination(name: name, url: url)
        if let n = f["events"], let items = reader.sequence(n, key: "\(path).events") {
            var events: Set<CanonicalEventType> = []
            for item in items {
                guard let text = reader.string(item, key: "\(path).events") else { continue }
                guard let type = CanonicalEventType(rawValue: text) else {
                    reader.add("\(path).events", item, "'\(text)' is not one of content_added, content_updated, content_removed")
                    continue
                }
                events.insert(type)
            }
            if items.isEmpty { reader.add("\(path).events", n, "must name at least one event type (leave it out for all)") }
            destination.events = events
        }
        if let n = f["body"], let body = reader.choice(n, key: "\(path).body", of: ForwardDestination.Body.self) {
            destination.body = body
        }
        if let n = f["signing"], let sub = reader.mapping(n, key: "\(path).signing") {
            let s = reader.fields(of: sub, allowed: ["scheme", "secret_env", "secret_file"], path: "\(path).signing")
            var scheme = ForwardDestination.Signing.Scheme.standardWebhooks
            if let sn = s["scheme"], let value = reader.choice(sn, key: "\(path).signing.scheme", of: ForwardDestination.Signing.Scheme.self) {
                scheme = value
            }
            if s["secret_env"] == nil && s["secret_file"] == nil {
                reader.add("\(path).signing", n, "needs secret_env or secret_file (leave signing out to send unsigned)")
            }
            let read = self.readSecretSources(
                env: s["secret_env"], file: s["secret_file"], path: "\(path).signing", directory: directory, tolerateUnset: false, &reader)
            for secret in read.secrets where SignatureVerifier.key(for: secret, scheme: .standardWebhooks) == nil {
                reader.add("\(path).signing", n, "the secret from \(secret.source) is not a Standard Webhooks secret (whsec_ and base64)")
            }
            destination.signing = .init(scheme: scheme, secrets: read.secrets)
        }
        if let n = f["timeout_ms"], let v = reader.int(n, key: "\(path).timeout_ms", range: 100...600_000) {
            destination.timeoutMilliseconds = v
        }
        if let n = f["max_in_flight"], let v = reader.int(n, key: "\(path).max_in_flight", range: 1...1024) {
            destination.maxInFlight = v
        }
        if let n = f["max_backlog"], let v = reader.int(n, key: "\(path).max_backlog", range: 1...10_000_000) {
            destination.maxBacklog = v
        }
        if let n = f["retry"] {
            Self.readRetry(n, path: "\(path).retry", into: &destination.retry, deliveries: false, &reader)
        }
        if let n = f["circuit_breaker"], let sub = reader.mapping(n, key: "\(path).circuit_breaker") {
            let c = reader.fields(of: sub, allowed: ["failures", "cool_down_ms"], path: "\(path).circuit_breaker")
            if let n = c["failures"], let v = reader.int(n, key: "\(path).circuit_breaker.failures", range: 1...10_000) {
                destination.circuitFailures = v
            }
            if let n = c["cool_down_ms"], let v = reader.int(n, key: "\(path).circuit_breaker.cool_down_ms", range: 100...3_600_000) {
                destination.circuitCoolDownMilliseconds = v
            }
        }
        return destination
    }
}
