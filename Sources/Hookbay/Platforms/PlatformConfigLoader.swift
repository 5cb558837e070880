import HookbayJSON
import Foundation
import HookbayJSON
import Yams

/// What loading a config directory found: the platforms that loaded and every problem with the ones that did not.
public struct PlatformLoadReport: Sendable {
    /// Platforms that loaded, by id.
    public var platforms: [String: PlatformConfig]
    /// Every refusal, each naming its file and key.
    public var problems: [ConfigProblem]
}

/// Reads platform YAML files (`platforms.d/*.yaml`) into ``PlatformConfig`` values.
///
/// Strict on purpose: an unknown key, a value of the wrong type, a reserved or duplicate id, or a secret that cannot
/// be read refuses the whole file with a message naming the file and the key, so a typo never silently falls back
/// to a default. The other files still load.
public struct PlatformConfigLoader: Sendable {
    /// Ids that would collide with Hookbay's own routes.
    public static let reservedIDs: Set<String> = [
        "register", "metrics", "stats", "admin", "dlq", "health", "healthz", "readyz", "content", "api", "webhooks",
    ]

    static let topLevelKeys: Set<String> = [
        "platform", "enabled", "adapter", "adapter_config", "plugin_path", "secret_env", "secret_file", "signature", "rate_limit",
        "dedup_ttl_hours", "required_fields", "event_types", "retry", "envelope", "subscribe", "url", "processing",
    ]

    /// Environment variables, for `secret_env`.
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// Loads every `*.yaml` / `*.yml` file in `directory` (not hidden ones, not subdirectories).
    public func load(directory: String) throws(ConfigProblem) -> PlatformLoadReport {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw ConfigProblem(file: directory, message: "cannot read the config directory: \(error.localizedDescription)")
        }
        var report = PlatformLoadReport(platforms: [:], problems: [])
        for name in names.sorted() where !name.hasPrefix(".") && (name.hasSuffix(".yaml") || name.hasSuffix(".yml")) {
            let path = (directory as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let text: String
            switch BoundedFile.read(path, limit: Self.maxFileBytes) {
            case .success(let bytes):
                guard let decoded = String(validating: bytes, as: UTF8.self) else {
                    report.problems.append(ConfigProblem(file: name, message: "cannot read the file: it is not UTF-8 text"))
                    continue
                }
                text = decoded
            case .failure(.tooLarge):
                report.problems.append(ConfigProblem(file: name, message: "the file is larger than \(Self.maxFileBytes) bytes, the limit for platform files"))
                continue
            case .failure(.unreadable):
                report.problems.append(ConfigProblem(file: name, message: "cannot read the file (platform files must be regular files)"))
                continue
            }
            do {
                let platform = try self.parse(yaml: text, file: name, directory: directory)
                if let existing = report.platforms[platform.id] {
                    report.problems.append(ConfigProblem(
                        file: name, key: "platform",
                        message: "platform id '\(platform.id)' is already defined in \(existing.sourceFile)"
                    ))
                    continue
                }
                report.platforms[platform.id] = platform
            } catch let problems as ConfigProblems {
                report.problems.append(contentsOf: problems.problems)
            } catch {
                report.problems.append(ConfigProblem(file: name, message: "cannot read the file: \(error.localizedDescription)"))
            }
        }
        return report
    }

    /// Parses one platform file. Throws every problem found in it at once.
    /// - Parameters:
    ///   - yaml: the file's text.
    ///   - file: its name, for messages.
    ///   - directory: where relative `secret_file` paths start.
    public func parse(yaml: String, file: String, directory: String = ".") throws(ConfigProblems) -> PlatformConfig {
        var problems = ProblemList(file: file)
        if let problem = Self.sizeProblem(yaml) {
            throw ConfigProblems([ConfigProblem(file: file, message: problem)])
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigProblems([ConfigProblem(file: file, message: "not valid YAML: \(error)")])
        }
        if let root, let problem = Self.shapeProblem(root) {
            throw ConfigProblems([ConfigProblem(file: file, message: problem)])
        }
        guard let root, case .mapping(let mapping) = root else {
            throw ConfigProblems([ConfigProblem(file: file, message: "must be a YAML mapping of keys such as platform, secret_env, rate_limit")])
        }
        let fields = problems.fields(of: mapping, allowed: Self.topLevelKeys, path: nil)

        // platform
        var id = ""
        if let node = fields["platform"] {
            if let value = problems.string(node, key: "platform") {
                if !Self.isValidID(value) {
                    problems.add("platform", node, "'\(value)' is not a valid id: use 1 to 64 of a-z, 0-9, '_' and '-'")
                } else if Self.reservedIDs.contains(value) {
                    problems.add("platform", node, "'\(value)' is reserved for Hookbay's own routes; choose another id")
                } else {
                    id = value
                }
            }
        } else {
            problems.add("platform", nil, "is required: the platform id used in /api/v1/webhooks/{platform}")
        }

        var config = PlatformConfig(id: id, secrets: [], sourceFile: file)

        if let node = fields["enabled"], let value = problems.bool(node, key: "enabled") { config.enabled = value }
        if let node = fields["processing"], let value = problems.string(node, key: "processing") {
            if let processing = PlatformConfig.Processing(rawValue: value) { config.processing = processing } else {
                problems.add("processing", node, "must be active or paused, not '\(value)'")
            }
        }
        if let node = fields["adapter"], let value = problems.string(node, key: "adapter") {
            if Self.isValidID(value) { config.adapter = value } else {
                problems.add("adapter", node, "'\(value)' is not a valid adapter name: use 1 to 64 of a-z, 0-9, '_' and '-'")
            }
        }
        if let node = fields["plugin_path"], let value = problems.string(node, key: "plugin_path") {
            config.pluginPath = value.hasPrefix("/") ? value : (directory as NSString).appendingPathComponent(value)
        }
        if let node = fields["adapter_config"] {
            if case .mapping = node { config.adapterConfig = Self.json(from: node) } else {
                problems.add("adapter_config", node, "must be a mapping")
            }
        }

        config.secrets = self.secrets(fields, directory: directory, files: &config.secretFiles, problems: &problems)

        if let node = fields["signature"], let sub = problems.mapping(node, key: "signature") {
            let s = problems.fields(of: sub, allowed: ["scheme", "header", "prefix", "encoding", "tolerance_seconds", "max_age_seconds"], path: "signature")
            if let n = s["scheme"], let v = problems.string(n, key: "signature.scheme") {
                if let scheme = PlatformConfig.Signature.Scheme(rawValue: v) { config.signature = .init(scheme: scheme) } else {
                    problems.add("signature.scheme", n, "unknown scheme '\(v)'; known: \(PlatformConfig.Signature.Scheme.allCases.map(\.rawValue).joined(separator: ", "))")
                }
            }
            if let n = s["header"], let v = problems.string(n, key: "signature.header") {
                if Self.isValidHeaderName(v) { config.signature.header = v } else {
                    problems.add("signature.header", n, "'\(v)' is not a valid HTTP header name")
                }
            }
            if let n = s["prefix"], let v = problems.string(n, key: "signature.prefix", allowEmpty: true) { config.signature.prefix = v }
            if let n = s["encoding"], let v = problems.string(n, key: "signature.encoding") {
                if let encoding = PlatformConfig.Signature.Encoding(rawValue: v) { config.signature.encoding = encoding } else {
                    problems.add("signature.encoding", n, "must be hex or base64, not '\(v)'")
                }
            }
            let scheme = config.signature.scheme
            for key in ["prefix", "encoding"] where s[key] != nil && scheme != .hmacSHA256 {
                problems.add("signature.\(key)", s[key], "only applies to scheme hmac-sha256, not \(scheme.rawValue)")
            }
            if let n = s["tolerance_seconds"], let v = problems.int(n, key: "signature.tolerance_seconds", range: 1...86_400) {
                config.signature.toleranceSeconds = v
            }
            if let n = s["max_age_seconds"], let v = problems.int(n, key: "signature.max_age_seconds", range: 1...31_536_000) {
                if scheme == .hmacSHA256 { config.signature.maxAgeSeconds = v } else {
                    problems.add("signature.max_age_seconds", n, "only applies to scheme hmac-sha256; timestamped schemes use tolerance_seconds")
                }
            }
        }
        if config.signature.scheme == .standardWebhooks {
            for secret in config.secrets where SignatureVerifier.key(for: secret, scheme: .standardWebhooks) == nil {
                problems.add(fields["secret_env"] != nil ? "secret_env" : "secret_file", fields["secret_env"] ?? fields["secret_file"],
                             "the secret from \(secret.source) is not whsec_<base64> (nor plain base64), as standard-webhooks needs")
            }
        }

        if let node = fields["envelope"], let sub = problems.mapping(node, key: "envelope") {
            let e = problems.fields(of: sub, allowed: ["event_type", "event_id", "payload", "timestamp"], path: "envelope")
            var envelope = PlatformConfig.Envelope()
            if let n = e["event_type"], let source = problems.source(n, key: "envelope.event_type") { envelope.eventType = source }
            if let n = e["event_id"], let source = problems.source(n, key: "envelope.event_id") { envelope.eventID = source }
            if let n = e["timestamp"], let source = problems.source(n, key: "envelope.timestamp") { envelope.timestamp = source }
            if let n = e["payload"], let source = problems.source(n, key: "envelope.payload") {
                if case .json(let pointer) = source { envelope.payload = pointer } else {
                    problems.add("envelope.payload", n, "must come from the body: { json: <pointer> }")
                }
            }
            config.envelope = envelope
        }

        if let node = fields["rate_limit"], let sub = problems.mapping(node, key: "rate_limit") {
            let r = problems.fields(of: sub, allowed: ["per_minute", "burst"], path: "rate_limit")
            var perMinute = 100
            var burst: Int?
            if let n = r["per_minute"], let v = problems.int(n, key: "rate_limit.per_minute", range: 1...60_000_000) { perMinute = v }
            if let n = r["burst"], let v = problems.int(n, key: "rate_limit.burst", range: 1...60_000_000) { burst = v }
            config.rateLimit = .init(perMinute: perMinute, burst: burst)
        }

        if let node = fields["retry"], let sub = problems.mapping(node, key: "retry") {
            let r = problems.fields(of: sub, allowed: ["max_attempts", "base_delay_ms", "max_delay_ms", "max_deliveries"], path: "retry")
            if let n = r["max_attempts"], let v = problems.int(n, key: "retry.max_attempts", range: 1...100) { config.retry.maxAttempts = v }
            if let n = r["max_deliveries"], let v = problems.int(n, key: "retry.max_deliveries", range: 1...100) { config.retry.maxDeliveries = v }
            if let n = r["base_delay_ms"], let v = problems.int(n, key: "retry.base_delay_ms", range: 1...86_400_000) {
                config.retry.baseDelayMilliseconds = Int64(v)
            }
            if let n = r["max_delay_ms"], let v = problems.int(n, key: "retry.max_delay_ms", range: 1...86_400_000) {
                config.retry.maxDelayMilliseconds = Int64(v)
            }
            if config.retry.maxDelayMilliseconds < config.retry.baseDelayMilliseconds {
                problems.add("retry.max_delay_ms", node, "must not be smaller than retry.base_delay_ms")
            }
        }
        if let node = fields["dedup_ttl_hours"], let v = problems.int(node, key: "dedup_ttl_hours", range: 1...8760) {
            config.dedupTTLSeconds = v * 3600
        }

        if let node = fields["required_fields"], let items = problems.sequence(node, key: "required_fields") {
            config.requiredFields = items.compactMap { item in
                guard let path = problems.string(item, key: "required_fields") else { return nil }
                if path.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
                    problems.add("required_fields", item, "'\(path)' is not a dotted path like content_id or metadata.rating")
                    return nil
                }
                return path
            }
        }

        if let node = fields["event_types"], let sub = problems.mapping(node, key: "event_types") {
            var types: [String: CanonicalEventType] = [:]
            for (keyNode, valueNode) in sub {
                guard let name = problems.string(keyNode, key: "event_types") else { continue }
                guard let value = problems.string(valueNode, key: "event_types.\(name)") else { continue }
                guard let canonical = CanonicalEventType(rawValue: value) else {
                    problems.add("event_types.\(name)", valueNode, "'\(value)' is not one of content_added, content_updated, content_removed")
                    continue
                }
                if types.updateValue(canonical, forKey: name) != nil {
                    problems.add("event_types.\(name)", keyNode, "is listed twice")
                }
            }
            if types.isEmpty && problems.isEmpty { problems.add("event_types", node, "must map at least one event type") }
            config.eventTypes = types
        }

        if let node = fields["url"], let value = problems.string(node, key: "url") {
            if let reason = Self.urlProblem(value) { problems.add("url", node, reason) } else { config.url = value }
        }
        if let node = fields["subscribe"], let items = problems.sequence(node, key: "subscribe") {
            var subscribed: Set<String> = []
            for item in items {
                guard let name = problems.string(item, key: "subscribe") else { continue }
                if config.eventTypes[name] == nil {
                    problems.add("subscribe", item, "'\(name)' is not one of event_types (\(config.eventTypes.keys.sorted().joined(separator: ", ")))")
                }
                subscribed.insert(name)
            }
            if subscribed.isEmpty && problems.isEmpty { problems.add("subscribe", node, "must name at least one event type") }
            config.subscribe = subscribed
        }

        if !problems.isEmpty { throw ConfigProblems(problems.problems) }
        return config
    }

    private func secrets(_ fields: [String: Node], directory: String, files: inout [String], problems: inout ProblemList) -> [PlatformSecret] {
        switch (fields["secret_env"], fields["secret_file"]) {
        case (nil, nil):
            problems.add("secret_env", nil, "is required (or secret_file): every platform's webhooks are signed")
            return []
        case (.some, .some(let node)):
            problems.add("secret_file", node, "give secret_env or secret_file, not both")
            return []
        case (.some(let node), nil):
            return problems.stringOrList(node, key: "secret_env").compactMap { name in
                guard let value = self.environment[name], !value.isEmpty else {
                    problems.add("secret_env", node, "environment variable \(name) is not set (or is empty)")
                    return nil
                }
                return PlatformSecret(bytes: Array(value.utf8), source: "env:\(name)")
            }
        case (nil, .some(let node)):
            return problems.stringOrList(node, key: "secret_file").compactMap { path in
                let full = path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
                files.append(full)
                switch Self.readSecretFile(full) {
                case .none:
                    problems.add("secret_file", node, "cannot read \(path) (a regular file of at most \(Self.maxSecretFileBytes) bytes)")
                    return nil
                case .some(let bytes) where bytes.isEmpty:
                    problems.add("secret_file", node, "\(path) is empty")
                    return nil
                case .some(let bytes):
                    return PlatformSecret(bytes: bytes, source: "file:\(path)")
                }
            }
        }
    }

    /// A secret file's bytes without trailing line ends (empty when that is all it holds); `nil` when it cannot be read.
    public static func readSecretFile(_ path: String) -> [UInt8]? {
        guard case .success(var bytes) = BoundedFile.read(path, limit: Self.maxSecretFileBytes) else { return nil }
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        return bytes
    }

    /// Why `url` is not an https URL without credentials, or `nil` when it is one.
    public static func urlProblem(_ url: String) -> String? {
        // The same rule as openapi.yaml's pattern: https://host[:port][path?query#fragment], RFC 3986 characters only.
        let bytes = Array(url.utf8)
        guard bytes.count >= 8, String(decoding: bytes[0..<8], as: UTF8.self).lowercased() == "https://" else {
            return "must be an https:// URL"
        }
        let rest = bytes[8...]
        let end = rest.firstIndex { "/?#".utf8.contains($0) } ?? rest.endIndex
        let authority = rest[rest.startIndex..<end]
        if authority.contains(UInt8(ascii: "@")) { return "must not carry credentials" }
        let colon = authority.firstIndex(of: UInt8(ascii: ":"))
        let host = authority[authority.startIndex..<(colon ?? authority.endIndex)]
        guard !host.isEmpty, host.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else {
            return "must name a host (letters, digits, '.' and '-')"
        }
        if let colon {
            let port = authority[authority.index(after: colon)...]
            guard (1...5).contains(port.count), port.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
                return "has a bad port"
            }
        }
        let allowed = Set("._~:/?#[]@!$&'()*+,;=%-".utf8)
        guard rest[end...].allSatisfy({ isAlphanumeric($0) || allowed.contains($0) }) else {
            return "may hold only URL characters (RFC 3986; percent-encode others)"
        }
        return nil
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// `[a-z0-9_-]{1,64}`.
    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64 && id.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    static func isValidHeaderName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { byte in
            (0x21...0x7E).contains(byte) && !"\"(),/:;<=>?@[\\]{}".utf8.contains(byte)
        }
    }

    /// A YAML node as JSON, for `adapter_config`.
    /// The largest platform file read, in bytes.
    public static let maxFileBytes = 256 * 1024
    /// The largest secret file read, in bytes.
    public static let maxSecretFileBytes = 64 * 1024
    /// The most YAML nodes a platform file may hold, aliases expanded (a 1 KB file of nested aliases can stand for
    /// billions).
    public static let maxNodes = 20_000
    /// The deepest nesting of mappings and sequences a platform file may have.
    public static let maxDepth = 32

    /// Why the text cannot be composed safely, found before YAML sees it: its size, its indentation, its flow nesting
    /// (`[[[[...`), and any anchor or alias (`&name`, `*name`). Anchors are refused outright: an alias can stand for a
    /// whole subtree, so a kilobyte of them stands for billions of nodes, and aliases used as mapping keys cost the
    /// YAML library exponential time while it checks keys for duplicates, whatever the node count.
    ///
    /// The scan follows YAML's token starts (after indentation, `- `, `: `, `? `, `[`, `{` and `,`), skips quoted
    /// scalars that begin there and comments, so `Rock & Roll`, `*/5 * * * *` and `it's` inside plain values are fine.
    static func sizeProblem(_ yaml: String) -> String? {
        let bytes = Array(yaml.utf8)
        if bytes.count > Self.maxFileBytes {
            return "the file is \(bytes.count) bytes; platform files are limited to \(Self.maxFileBytes)"
        }
        let newline = UInt8(ascii: "\n"), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
        func isBlank(_ byte: UInt8) -> Bool { byte == space || byte == tab || byte == UInt8(ascii: "\r") }
        var flow = 0
        var indentation = 0
        var atLineStart = true
        // The last significant byte on the line (a newline at its start).
        var last = newline
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == newline {
                atLineStart = true
                indentation = 0
                last = newline
                i += 1
                continue
            }
            if atLineStart {
                if byte == space || byte == tab {
                    indentation += 1
                    if indentation > 8 * Self.maxDepth { return "a line is indented by more than \(8 * Self.maxDepth) characters" }
                    i += 1
                    continue
                }
                atLineStart = false
            }
            if isBlank(byte) {
                i += 1
                continue
            }
            let afterBlank = i > 0 && (isBlank(bytes[i - 1]) || bytes[i - 1] == newline)
            if byte == UInt8(ascii: "#"), afterBlank || i == 0 {
                while i < bytes.count, bytes[i] != newline { i += 1 }
                continue
            }
            let tokenStart = last == newline || last == UInt8(ascii: "[") || last == UInt8(ascii: "{") || last == UInt8(ascii: ",")
                || (afterBlank && (last == UInt8(ascii: "-") || last == UInt8(ascii: ":") || last == UInt8(ascii: "?")))
            if tokenStart {
                switch byte {
                case UInt8(ascii: "&"), UInt8(ascii: "*"):
                    return "anchors and aliases (&name, *name) are not allowed in platform files; write the values out"
                case UInt8(ascii: "\""), UInt8(ascii: "'"):
                    // A quoted scalar, to its closing quote (backslash escapes in double quotes, '' in single ones).
                    i += 1
                    while i < bytes.count {
                        if byte == UInt8(ascii: "\""), bytes[i] == UInt8(ascii: "\\") { i += 2; continue }
                        if bytes[i] == byte {
                            if byte == UInt8(ascii: "'"), i + 1 < bytes.count, bytes[i + 1] == byte { i += 2; continue }
                            break
                        }
                        i += 1
                    }
                    last = byte
                    i += 1
                    continue
                case UInt8(ascii: "!"):
                    // A tag: the node (and its anchor, if any) follows it.
                    while i < bytes.count, !isBlank(bytes[i]), bytes[i] != newline { i += 1 }
                    continue
                default:
                    break
                }
            }
            switch byte {
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                flow += 1
                if flow > Self.maxDepth { return "nested more than \(Self.maxDepth) levels deep" }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                flow = max(0, flow - 1)
            default:
                break
            }
            last = byte
            i += 1
        }
        return nil
    }

    /// Why the composed document is too large (more than ``maxNodes`` nodes with aliases expanded) or too deep (more
    /// than ``maxDepth`` levels); stops counting at the first bound passed.
    static func shapeProblem(_ root: Node) -> String? {
        var stack: [(Node, Int)] = [(root, 1)]
        var count = 0
        while let (node, depth) = stack.popLast() {
            count += 1
            if count > Self.maxNodes {
                return "more than \(Self.maxNodes) YAML nodes once aliases are expanded; platform files are limited to \(Self.maxNodes)"
            }
            if depth > Self.maxDepth { return "nested more than \(Self.maxDepth) levels deep" }
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping {
                    stack.append((key, depth + 1))
                    stack.append((value, depth + 1))
                }
            case .sequence(let sequence):
                for item in sequence { stack.append((item, depth + 1)) }
            case .scalar, .alias:
                break
            }
        }
        return nil
    }

    static func json(from node: Node) -> JSONValue {
        switch node {
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping { members[key.string ?? ""] = json(from: value) }
            return .object(members)
        case .sequence(let sequence):
            return .array(sequence.map { json(from: $0) })
        case .scalar(let scalar):
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return node.bool.map(JSONValue.bool) ?? .string(scalar.string)
            case Tag.Name.int.rawValue: return node.int.map { .number(String($0)) } ?? .string(scalar.string)
            case Tag.Name.float.rawValue:
                if let d = node.float, d.isFinite { return .number("\(d)") }
                return .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .alias:
            return .null
        }
    }
}

/// Every problem in one file, thrown together.
public struct ConfigProblems: Error, Sendable {
    public var problems: [ConfigProblem]
    public init(_ problems: [ConfigProblem]) { self.problems = problems }
}

/// Collects problems while a file is read, with typed accessors that record a clear message on a wrong type.
struct ProblemList {
    let file: String
    var problems: [ConfigProblem] = []

    var isEmpty: Bool { problems.isEmpty }

    mutating func add(_ key: String?, _ node: Node?, _ message: String) {
        problems.append(ConfigProblem(file: file, key: key, line: node?.mark?.line, message: message))
    }

    mutating func fields(of mapping: Node.Mapping, allowed: Set<String>, path: String?) -> [String: Node] {
        var fields: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                add(path, keyNode, "keys must be strings")
                continue
            }
            let full = path.map { "\($0).\(key)" } ?? key
            guard allowed.contains(key) else {
                add(full, keyNode, "unknown key; known keys here: \(allowed.sorted().joined(separator: ", "))")
                continue
            }
            if fields.updateValue(value, forKey: key) != nil {
                add(full, keyNode, "is given twice")
            }
        }
        return fields
    }

    mutating func string(_ node: Node, key: String, allowEmpty: Bool = false) -> String? {
        guard case .scalar(let scalar) = node, node.tag.rawValue != Tag.Name.null.rawValue else {
            add(key, node, "must be a string")
            return nil
        }
        if !allowEmpty && scalar.string.isEmpty {
            add(key, node, "must not be empty")
            return nil
        }
        return scalar.string
    }

    mutating func bool(_ node: Node, key: String) -> Bool? {
        guard case .scalar = node, let value = node.bool else {
            add(key, node, "must be true or false")
            return nil
        }
        return value
    }

    mutating func int(_ node: Node, key: String, range: ClosedRange<Int>) -> Int? {
        guard case .scalar = node, let value = node.int else {
            add(key, node, "must be a whole number")
            return nil
        }
        guard range.contains(value) else {
            add(key, node, "must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
            return nil
        }
        return value
    }

    mutating func mapping(_ node: Node, key: String) -> Node.Mapping? {
        guard case .mapping(let mapping) = node else {
            add(key, node, "must be a mapping")
            return nil
        }
        return mapping
    }

    mutating func sequence(_ node: Node, key: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            add(key, node, "must be a list")
            return nil
        }
        return Array(sequence)
    }

    /// `{ header: Name }` or `{ json: /pointer }`.
    mutating func source(_ node: Node, key: String) -> PlatformConfig.Envelope.Source? {
        guard let mapping = mapping(node, key: key) else { return nil }
        let f = fields(of: mapping, allowed: ["header", "json"], path: key)
        switch (f["header"], f["json"]) {
        case (let h?, nil):
            guard let name = string(h, key: "\(key).header") else { return nil }
            guard PlatformConfigLoader.isValidHeaderName(name) else {
                add("\(key).header", h, "'\(name)' is not a valid HTTP header name")
                return nil
            }
            return .header(name)
        case (nil, let j?):
            guard let pointer = string(j, key: "\(key).json", allowEmpty: true) else { return nil }
            guard JSONValue.isValidPointer(pointer) else {
                add("\(key).json", j, "'\(pointer)' is not a JSON pointer: use \"\" for the whole body or /a/b")
                return nil
            }
            return .json(pointer)
        default:
            add(key, node, "give exactly one of header or json")
            return nil
        }
    }

    mutating func stringOrList(_ node: Node, key: String) -> [String] {
        if case .sequence(let sequence) = node {
            let values = sequence.compactMap { string($0, key: key) }
            if values.isEmpty && sequence.isEmpty { add(key, node, "must name at least one") }
            return values
        }
        return string(node, key: key).map { [$0] } ?? []
    }
}
