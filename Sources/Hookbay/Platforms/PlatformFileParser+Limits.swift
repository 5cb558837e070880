import Yams

extension PlatformFileParser {
    /// The most ranges `allow_ips` may list.
    static let maxAllowedRanges = 1000

    /// `rate_limit:`, `retry:` and `dedup_ttl_hours`; what is not given keeps the model's default.
    func readLimits(_ fields: [String: Node], into config: inout PlatformConfig, _ reader: inout YAMLFieldReader) {
        if let node = fields["allow_ips"] {
            let texts = reader.stringOrList(node, key: "allow_ips")
            var networks: [IPNetwork] = []
            for text in texts {
                guard let network = IPNetwork(text) else {
                    reader.add("allow_ips", node, "'\(text.prefix(64))' is not a CIDR range such as 192.0.2.0/24 or 2001:db8::/32")
                    continue
                }
                networks.append(network.asClientRange)
            }
            if texts.count > Self.maxAllowedRanges {
                reader.add("allow_ips", node, "lists \(texts.count) ranges; at most \(Self.maxAllowedRanges)")
            }
            config.allowIPs = networks
        }
        if let node = fields["rate_limit"], let sub = reader.mapping(node, key: "rate_limit") {
            let r = reader.fields(of: sub, allowed: ["per_minute", "burst", "scope"], path: "rate_limit")
            var perMinute = PlatformConfig.RateLimit().perMinute
            var burst: Int?
            var scope = PlatformConfig.RateLimit().scope
            if let n = r["per_minute"], let v = reader.int(n, key: "rate_limit.per_minute", range: 1...60_000_000) { perMinute = v }
            if let n = r["burst"], let v = reader.int(n, key: "rate_limit.burst", range: 1...60_000_000) { burst = v }
            if let n = r["scope"], let value = reader.choice(n, key: "rate_limit.scope", of: PlatformConfig.RateLimit.Scope.self) {
                scope = value
            }
            config.rateLimit = .init(perMinute: perMinute, burst: burst, scope: scope)
        }

        if let node = fields["retry"] {
            Self.readRetry(node, path: "retry", into: &config.retry, deliveries: true, &reader)
        }
        if let node = fields["dedup_ttl_hours"], let v = reader.int(node, key: "dedup_ttl_hours", range: 1...8760) {
            config.dedupTTLSeconds = v * 3600
        }
    }

    /// A `retry:` mapping at `path`: `max_attempts`, `base_delay_ms`, `max_delay_ms`, and with `deliveries`
    /// `max_deliveries`; what is not given keeps `retry`'s value.
    static func readRetry(_ node: Node, path: String, into retry: inout RetryPolicy, deliveries: Bool, _ reader: inout YAMLFieldReader) {
        guard let sub = reader.mapping(node, key: path) else { return }
        let keys: Set<String> =
            deliveries ? ["max_attempts", "base_delay_ms", "max_delay_ms", "max_deliveries"] : ["max_attempts", "base_delay_ms", "max_delay_ms"]
        let r = reader.fields(of: sub, allowed: keys, path: path)
        if let n = r["max_attempts"], let v = reader.int(n, key: "\(path).max_attempts", range: 1...100) { retry.maxAttempts = v }
        if let n = r["max_deliveries"], let v = reader.int(n, key: "\(path).max_deliveries", range: 1...100) { retry.maxDeliveries = v }
        if let n = r["base_delay_ms"], let v = reader.int(n, key: "\(path).base_delay_ms", range: 1...86_400_000) {
            retry.baseDelayMilliseconds = Int64(v)
        }
        if let n = r["max_delay_ms"], let v = reader.int(n, key: "\(path).max_delay_ms", range: 1...86_400_000) {
            retry.maxDelayMilliseconds = Int64(v)
        }
        if retry.maxDelayMilliseconds < retry.baseDelayMilliseconds {
            reader.add("\(path).max_delay_ms", node, "must not be smaller than \(path).base_delay_ms")
        }
    }
}
