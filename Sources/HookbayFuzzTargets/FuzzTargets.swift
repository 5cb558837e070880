import Foundation
import Hookbay
@_spi(Testing) import HookbayJSON
import HookbayPluginKit
import NIOCore

/// The request path's parsers (and forwarding's, which read destinations' answers) as fuzz targets: each takes arbitrary bytes, must never crash, hang or leak, and checks
/// an invariant of its parser. libFuzzer drives them (the `Fuzz/` package); the committed corpus replays them in the
/// tests (`FuzzCorpusTests`).
public enum FuzzTargets {
    /// Target name → target.
    public static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "json": json,
        "signature": signature,
        "envelope": envelope,
        "yaml": yaml,
        "timestamp": timestamp,
        "forward": forward,
        "template": template,
        "form": form,
        "gzip": gzip,
    ]

    static let secret = "fuzz-secret-0123456789abcdef"
    static let standardSecret = "whsec_" + Data("fuzz-secret-0123456789ab".utf8).base64EncodedString()
    static let environment = ["FUZZ_SECRET": secret, "FUZZ_STANDARD_SECRET": standardSecret]
    static let loader = PlatformFileParser(environment: environment)

    static func platform(_ yaml: String) -> PlatformConfig {
        do {
            return try loader.parse(yaml: yaml, file: "fuzz.yaml")
        } catch {
            fatalError("fuzz platform does not load: \(error)")
        }
    }

    /// One platform per signature scheme, and one with an `envelope:` mapping.
    static let platforms: [PlatformConfig] = [
        platform("platform: fuzz-hmac\nsecret_env: FUZZ_SECRET\n"),
        platform("platform: fuzz-github\nsecret_env: FUZZ_SECRET\nsignature: { scheme: github }\n"),
        platform("platform: fuzz-stripe\nsecret_env: FUZZ_SECRET\nsignature: { scheme: stripe }\n"),
        platform("platform: fuzz-std\nsecret_env: FUZZ_STANDARD_SECRET\nsignature: { scheme: standard-webhooks }\n"),
        platform(
            """
            platform: fuzz-mapped
            secret_env: FUZZ_SECRET
            envelope:
              event_type: { header: X-Event }
              event_id: { json: /delivery/id }
              payload: { json: "" }
              timestamp: { json: /sent_at }
            event_types: { push: content_updated, "a/b": content_added }
            required_fields: [id]
            """),
    ]

    /// One platform per way of signing: the four schemes above, the sender presets, and a general `hmac` whose
    /// signed content names a header.
    static let signing: [PlatformConfig] =
        Array(platforms.prefix(4))
        + ["slack", "shopify", "gitlab", "zoom"].map { platform("platform: fuzz-\($0)\nsecret_env: FUZZ_SECRET\nsignature: { scheme: \($0) }\n") }
        + [
            platform(
                "platform: fuzz-any\nsecret_env: FUZZ_SECRET\nsignature: { scheme: hmac, algorithm: sha1, header: X-Sig, encoding: base64, "
                    + "signed_content: \"{header:X-Id}.{header:X-Time}.{body}\", timestamp: { header: X-Time } }\n"
            )
        ]

    /// The bytes split at NUL into at most `count` parts (the last takes the rest).
    static func parts(_ bytes: ArraySlice<UInt8>, _ count: Int) -> [ArraySlice<UInt8>] {
        Array(bytes.split(separator: 0, maxSplits: count - 1, omittingEmptySubsequences: false))
    }

    /// Strict JSON and canonical JSON: parsing refuses or succeeds; canonical output parses again, to a value whose
    /// canonical form is the same bytes (the event id is a hash of it, so it must be stable). A selective parse
    /// (what the receive path builds) refuses exactly what the whole parse refuses, with the same error, and keeps what
    /// it selects as the whole parse has it.
    public static func json(_ bytes: [UInt8]) {
        let whole = Result { () throws(JSONParseError) in try JSONParser.parse(bytes) }
        // The canonical form read from the bytes: whatever they hold, no read outside them (the sanitizer's part);
        // for a document the parser accepts, the same bytes as from its tree (below).
        let fromBytes = CanonicalJSON.encode(valueAt: [], in: bytes)
        var selection = JSONSelection.nothing
        var checks: [(path: [String], whole: Bool)] = []
        var budget = 24
        if case .success(let value) = whole { sample(value, [], &selection, &checks, &budget) }
        selection.touch(["a", "b"])
        switch (whole, Result { () throws(JSONParseError) in try JSONParser.parse(bytes, keeping: selection) }) {
        case (.failure(let error), .failure(let again)):
            precondition(error == again, "the selective parse refused otherwise: \(again), not \(error)")
            // Keys that collide in the duplicate check's table take the string comparison: with no probe allowed,
            // any collision does.
            do {
                _ = try JSONParser.parse(bytes, keeping: selection, maxProbes: 0)
                fatalError("the selective parse without probes accepted a body the whole parse refuses")
            } catch {
                precondition(error == again, "the selective parse without probes refused otherwise: \(error), not \(again)")
            }
            return
        case (.success(let value), .success(let part)):
            precondition(
                (try? JSONParser.parse(bytes, keeping: selection, maxProbes: 0)) == part, "the selective parse without probes kept another tree")
            for check in checks {
                let full = value.value(atKeys: check.path)
                let kept = part.value(atKeys: check.path)
                precondition(full?.typeName == kept?.typeName, "the selective parse kept another kind at \(check.path)")
                if check.whole || full?.objectValue == nil { precondition(full == kept, "the selective parse kept another value at \(check.path)") }
            }
        default:
            fatalError("the selective parse and the whole parse disagree on whether the body is JSON")
        }
        guard case .success(let value) = whole else { return }
        let canonical = CanonicalJSON.encode(value)
        precondition(fromBytes == canonical, "the canonical form read from the bytes differs from the tree's")
        // At each sampled path, and at the first and a past-the-end index below it, as a pointer walks the tree.
        for check in checks {
            for tokens in [check.path, check.path + ["0"], check.path + ["1"], check.path + ["01"]] {
                let pointer = tokens.map { "/" + $0.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1") }.joined()
                precondition(
                    CanonicalJSON.encode(valueAt: tokens, in: bytes) == value.value(atPointer: pointer).map(CanonicalJSON.encode),
                    "the canonical form read from the bytes differs from the tree's at \(pointer)")
            }
        }
        guard let again = try? JSONParser.parse(canonical) else {
            fatalError("canonical JSON does not parse: \(String(decoding: canonical, as: UTF8.self))")
        }
        precondition(CanonicalJSON.encode(again) == canonical, "canonical JSON is not stable")
    }

    /// Selects some members of `value`'s objects, kept whole or in part in turn, and notes each path to check.
    static func sample(
        _ value: JSONValue, _ prefix: [String], _ selection: inout JSONSelection, _ checks: inout [(path: [String], whole: Bool)], _ budget: inout Int
    ) {
        guard case .object(let members) = value else { return }
        for (i, key) in members.keys.sorted().enumerated() where budget > 0 && i % 3 != 2 {
            budget -= 1
            let path = prefix + [key]
            if i % 3 == 0 {
                selection.keep(path)
            } else {
                selection.touch(path)
                sample(members[key]!, path, &selection, &checks, &budget)
            }
            checks.append((path, i % 3 == 0))
        }
    }

    /// Signature headers of every scheme: a fuzzed header (and, for standard-webhooks, id and timestamp) never verifies
    /// and never crashes; the headers Hookbay itself would send for the fuzzed body always verify.
    public static func signature(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let platform = signing[Int(first) % signing.count]
        let verifier = SignatureVerifier(signature: platform.signature, secrets: platform.secrets)
        let fields = parts(bytes.dropFirst(), 4).map { String(decoding: $0, as: UTF8.self) }
        let body = Array(fields.count == 4 ? Array(fields[3].utf8) : [])
        let now: Int64 = 1_764_979_200
        let header: (String) -> String? = { name in
            switch name.lowercased() {
            case platform.signature.header.lowercased(): return fields.first
            case "webhook-id", "x-id": return fields.count > 1 ? fields[1] : nil
            case "webhook-timestamp", platform.signature.timestampHeader?.lowercased(): return fields.count > 2 ? fields[2] : nil
            default: return nil
            }
        }
        // A fuzzed header can carry a valid MAC only by computing it with the secret: if one verifies, the verifier
        // is broken (it accepts something it did not check).
        if (try? verifier.verify(header: header, body: body, now: now)) != nil {
            fatalError("a fuzzed signature header verified (\(platform.signature.scheme)): \(fields.prefix(3))")
        }
        let signed = Dictionary(verifier.headers(for: body, now: now, deliveryID: "msg_fuzz").map { ($0.0.lowercased(), $0.1) }) { a, _ in a }
        do {
            try verifier.verify(header: { signed[$0.lowercased()] }, body: body, now: now)
        } catch {
            fatalError("Hookbay's own signature does not verify (\(platform.signature.scheme)): \(error)")
        }
    }

    /// `signed_content` templates: a template either is refused or parses to one `{body}` and at most
    /// ``SignedContent/maxHeaders`` valid header names, and prints back to a template that parses to the same thing.
    public static func template(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let content = try? SignedContent.parse(text) else { return }
        precondition(content.headerNames.count <= SignedContent.maxHeaders, "too many headers got through")
        precondition(content.headerNames.allSatisfy { !$0.isEmpty && !$0.contains(":") && !$0.contains(" ") }, "a bad header name got through")
        guard let again = try? SignedContent.parse(content.description) else {
            fatalError("a parsed template does not parse again: \(content.description)")
        }
        precondition(again == content, "a template does not print back to itself: \(text)")
    }

    /// Form bodies (`body_format: form`): a field is found and decoded or refused with a 400, and a decoded value is
    /// never longer than the body it came from.
    public static func form(_ bytes: [UInt8]) {
        do {
            let value = try FormBody.field("payload", in: bytes)
            precondition(value.count <= bytes.count, "a decoded form field is longer than its body")
        } catch {
            precondition(error.status.code == 400, "a form refusal is not a 400: \(error)")
        }
    }

    /// Compressed bodies (`Content-Encoding: gzip` / `deflate`): inflated within the bound or refused with a 400 or 413,
    /// never more.
    public static func gzip(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let limit = 64 * 1024
        do {
            let decoded = try ContentDecoding.decode(
                ByteBuffer(bytes: bytes.dropFirst()), encoding: first & 1 == 0 ? "gzip" : "deflate", accepted: [.gzip, .deflate],
                limit: limit)
            precondition((decoded?.readableBytes ?? 0) <= limit, "a body inflated past its bound")
        } catch {
            // 503: zlib found no memory (under the fuzzer's malloc limit).
            precondition([400, 413, 503].contains(error.status.code), "a decoding refusal is not a 400, 413 or 503: \(error)")
        }
    }

    /// Declared rules for the mapped platform, so that its receive path builds only what they and the envelope read.
    static let mappedSchema = PayloadSchema([
        .init("title", .nonEmptyString, required: true), .init("repo.name", .string, dotted: true), .init("tags", .stringArray),
        .init("owner", .object), .init("number", .id, required: true),
    ])
    static let selections = [
        platforms[0].id: WebhookEnvelope.selection(for: platforms[0], schema: mappedSchema),
        platforms[4].id: WebhookEnvelope.selection(for: platforms[4], schema: mappedSchema),
    ]

    /// Envelope extraction, seed shape and mapped: refuses with a 400 or yields an event type the platform maps. What
    /// the receive path builds of the body (its selection) reads as the whole body does: the same refusal, or the same
    /// event type, id and timestamp and the same verdict of the declared rules; and the payload's canonical form read
    /// from the bytes is the whole tree's.
    public static func envelope(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let platform = first & 1 == 0 ? platforms[0] : platforms[4]
        let fields = parts(bytes.dropFirst(), 2)
        let eventHeader = String(decoding: fields[0], as: UTF8.self)
        let body = fields.count > 1 ? fields[1] : []
        let header = { (name: String) in name == "X-Event" ? eventHeader : nil }
        let payloadJSON = CanonicalJSON.encode(valueAt: WebhookEnvelope.payloadTokens(for: platform) ?? [], in: body)
        if let selection = selections[platform.id] {
            let whole = Result { () throws(WebhookError) in try WebhookEnvelope(body: body, header: header, platform: platform) }
            let part = Result { () throws(WebhookError) in try WebhookEnvelope(body: body, header: header, platform: platform, keeping: selection) }
            func verdict(_ payload: JSONValue) -> String? {
                do throws(AdapterError) {
                    try mappedSchema.check(payload)
                    return nil
                } catch {
                    return error.message
                }
            }
            switch (whole, part) {
            case (.failure(let error), .failure(let again)):
                precondition(error == again, "the selective parse refused otherwise: \(again), not \(error)")
            case (.success(let envelope), .success(let built)):
                precondition(
                    built.sourceEventType == envelope.sourceEventType && built.deliveryID == envelope.deliveryID
                        && built.timestamp == envelope.timestamp,
                    "the selective parse read another envelope")
                precondition(verdict(built.payload) == verdict(envelope.payload), "the selective parse judged the payload otherwise")
                precondition(
                    payloadJSON == CanonicalJSON.encode(envelope.payload), "the payload's canonical form read from the bytes differs from the tree's")
            default:
                fatalError("the selective parse and the whole parse disagree on whether the envelope is acceptable")
            }
        }
        do {
            let envelope = try WebhookEnvelope(body: body, header: header, platform: platform)
            precondition(platform.eventTypes.keys.contains(envelope.sourceEventType), "an unmapped event type got through")
            // The replay window on the envelope's own timestamp, at the extremes of the clock: a refusal, never a trap.
            if let sent = EventTime.milliseconds(rfc3339: envelope.timestamp) {
                let verifier = SignatureVerifier(signature: timedPlatform.signature, secrets: timedPlatform.secrets)
                for now in [Int64.min, -1, 0, 1_764_979_200_000, Int64.max] {
                    _ = try? verifier.checkAge(sentMilliseconds: sent, nowMilliseconds: now)
                }
            }
        } catch {
            precondition(error.status.code == 400, "envelope refusal is not a 400: \(error)")
        }
    }

    /// Timestamps as a sender writes them (a Stripe `t=`, a `webhook-timestamp`, an envelope's `timestamp`), and the
    /// replay-window checks on them with any current time: never a trap, whatever the digits; a refusal says which
    /// bound was crossed, and a value inside the window passes.
    public static func timestamp(_ bytes: [UInt8]) {
        let fields = parts(bytes[...], 2)
        let text = String(decoding: fields[0], as: UTF8.self)
        var nowBytes = Array(fields.count > 1 ? fields[1].prefix(8) : [])
        nowBytes += [UInt8](repeating: 0, count: 8 - nowBytes.count)
        let now = nowBytes.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }
        let verifier = SignatureVerifier(signature: timedPlatform.signature, secrets: timedPlatform.secrets)
        let tolerance = Int64(timedPlatform.signature.toleranceSeconds)
        if let seconds = SignatureVerifier.unixSeconds(text) {
            do {
                try verifier.checkTimestamp(seconds, now: now)
                precondition(seconds.subtractingReportingOverflow(now).partialValue.magnitude <= tolerance, "a timestamp outside the window passed")
            } catch {
                let (difference, overflow) = seconds.subtractingReportingOverflow(now)
                precondition(overflow || difference.magnitude > tolerance, "a timestamp inside the window was refused: \(error)")
            }
        }
        if let sent = EventTime.milliseconds(rfc3339: text) {
            _ = try? verifier.checkAge(sentMilliseconds: sent, nowMilliseconds: now)
            _ = try? verifier.checkAge(sentMilliseconds: now, nowMilliseconds: sent)
        }
        // Every header form the schemes parse, with the fuzzed text as their timestamp: refused or checked, never a trap.
        let stripe = SignatureVerifier(signature: platforms[2].signature, secrets: platforms[2].secrets)
        let standard = SignatureVerifier(signature: platforms[3].signature, secrets: platforms[3].secrets)
        let zeros = String(repeating: "0", count: 64)
        let stripeHeader = "t=\(text),v1=\(zeros)"
        _ = try? stripe.verify(header: { $0 == "Stripe-Signature" ? stripeHeader : nil }, body: [], now: now)
        _ = try? standard.verify(
            header: { name in
                switch name {
                case "webhook-id": return "msg_fuzz"
                case "webhook-timestamp": return text
                default: return "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
                }
            }, body: [], now: now)
    }

    /// A platform whose envelopes must be recent: `max_age_seconds` on the envelope's timestamp.
    static let timedPlatform = platform(
        """
        platform: fuzz-timed
        secret_env: FUZZ_SECRET
        signature: { max_age_seconds: 600, tolerance_seconds: 300 }
        """)

    /// Platform YAML: loads or names its problems; never crashes on any text.
    public static func yaml(_ bytes: [UInt8]) {
        // Keep file reads (secret_file, plugin_path) inside an empty directory.
        let text = String(decoding: bytes, as: UTF8.self)
        do {
            let config = try loader.parse(yaml: text, file: "fuzz.yaml", directory: "/nonexistent-hookbay-fuzz")
            precondition(PlatformFileParser.isValidID(config.id), "an invalid platform id loaded")
        } catch {
            precondition(!error.problems.isEmpty, "a refusal without a problem")
        }
    }

    /// Forwarding's parsers: a destination URL, a CIDR range, a `Retry-After` answer, and the address policy on the
    /// bytes as an address. Each refuses or succeeds, never traps; a parsed URL and range print back to text that parses
    /// to the same value, a range contains its own address, and a wait is never negative.
    public static func forward(_ bytes: [UInt8]) {
        let fields = parts(bytes[...], 4)
        let text = { (index: Int) in fields.count > index ? String(decoding: fields[index], as: UTF8.self) : "" }
        if case .success(let url) = ForwardURL.parse(text(0)) {
            precondition(ForwardURL.parse(url.description) == .success(url), "\(url) does not parse back to itself")
        }
        if let network = IPNetwork(text(1)) {
            precondition(IPNetwork(network.description) == network, "\(network) does not parse back to itself")
            precondition(network.contains(network.address), "\(network) does not contain its own address")
        }
        var nowBytes = Array(fields.count > 3 ? fields[3].prefix(8) : [])
        nowBytes += [UInt8](repeating: 0, count: 8 - nowBytes.count)
        let now = nowBytes.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }
        if let wait = ForwardAttempt.retryAfterMilliseconds(text(2), now: now) {
            precondition(wait >= 0, "a negative wait from Retry-After")
        }
        let policy = ForwardNetworkPolicy(allowed: IPNetwork(text(1)).map { [$0] } ?? [])
        for length in [4, 16] where bytes.count >= length {
            _ = policy.refusal(Array(bytes.prefix(length)))
        }
    }
}
