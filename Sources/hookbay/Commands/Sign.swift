import ArgumentParser
import Foundation
import Hookbay

/// `hookbay sign`: the headers a platform would send, for testing with curl.
struct Sign: ParsableCommand {
    /// `text` as one single-quoted shell word (a `'` inside closes the quote, escapes itself and reopens it).
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static let configuration = CommandConfiguration(
        abstract: "Print the headers a platform would send for a body, signed with its secret as the server reads it (for testing with curl)."
    )

    @OptionGroup var config: ConfigOptions

    @Option(help: "The platform id.")
    var platform: String

    @Option(help: "File holding the body; standard input when absent.")
    var file: String?

    @Option(
        name: .customLong("header"),
        help: "A header the signature covers, as 'Name: value' (for an hmac scheme whose signed_content names it); repeatable.")
    var headerValues: [String] = []

    @Flag(help: "Print a ready curl command instead of the headers.")
    var curl = false

    @Option(help: "Base URL for --curl (default http://localhost:8080).")
    var url: String = "http://localhost:8080"

    func run() throws {
        let configuration = try resolveConfiguration([config])
        let environment = ProcessInfo.processInfo.environment
        let report = try PlatformLoader(configuration: configuration, environment: environment).load(directory: configuration.configDirectory)
        guard let platform = report.platforms[platform]?.config else {
            let reason = report.problems.filter { $0.file.hasPrefix(platform) }.map(\.description).joined(separator: "; ")
            throw ValidationError(
                "platform '\(self.platform)' is not loaded from \(configuration.configDirectory)\(reason.isEmpty ? "" : ": \(reason)")")
        }
        guard !platform.secrets.isEmpty else {
            throw ValidationError(
                "platform '\(platform.id)' has no secret to sign with: \(platform.unsetSecretVariables.joined(separator: ", ")) is not set")
        }
        let body: [UInt8]
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            body = Array(data)
        } else {
            body = Array(FileHandle.standardInput.readDataToEndOfFile())
        }
        var values: [String: String] = [:]
        for text in headerValues {
            guard let colon = text.firstIndex(of: ":") else { throw ValidationError("--header must be 'Name: value', not '\(text)'") }
            let name = text[..<colon].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.utf8.allSatisfy({ (0x21...0x7E).contains($0) && $0 != UInt8(ascii: ":") }) else {
                throw ValidationError("--header must be 'Name: value' with a valid header name, not '\(text)'")
            }
            guard !values.keys.contains(where: { $0.lowercased() == name.lowercased() }) else {
                throw ValidationError("--header gives \(name) twice")
            }
            values[name] = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let verifier = SignatureVerifier(signature: platform.signature, secrets: platform.secrets)
        let missing = verifier.missingSignedHeaders(given: values)
        guard missing.isEmpty else {
            throw ValidationError(
                "platform '\(platform.id)' signs the \(missing.joined(separator: ", ")) header\(missing.count == 1 ? "" : "s") too: give \(missing.count == 1 ? "its value" : "their values") with --header 'Name: value'"
            )
        }
        let headers = verifier.headers(
            for: body, now: WallClock.milliseconds() / 1000,
            deliveryID: "msg_\(UInt64.random(in: 0...UInt64.max))", values: values)
        if curl {
            // curl drops a header given as "Name: " with nothing after it; "Name;" sends it empty.
            let flags = headers.map { "-H " + Self.shellQuoted($0.1.isEmpty ? "\($0.0);" : "\($0.0): \($0.1)") }.joined(separator: " ")
            print(
                "curl -i \(Self.shellQuoted("\(url)/api/v1/webhooks/\(platform.id)")) -H 'Content-Type: application/json' \(flags) --data-binary "
                    + Self.shellQuoted("@\(file ?? "-")"))
        } else {
            for (name, value) in headers { print("\(name): \(value)") }
        }
    }
}
