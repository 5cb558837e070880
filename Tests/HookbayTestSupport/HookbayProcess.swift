import Foundation
import HTTPTypes
import HookbayRedis
import Logging
import NIOCore
import Synchronization
import Testing

@testable import Hookbay

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Real `hookbay` processes (the executable `swift build` puts beside the test bundle) and plain HTTP to them.
public enum HookbayProcess {
    /// The `hookbay` executable `swift build` put beside the test bundle.
    public static var executable: URL {
        // .build/<triple>/debug/HookbayPackageTests.xctest → .build/<triple>/debug/hookbay
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("hookbay")
    }

    /// Starts `hookbay` with `arguments`, the test secret in its environment (plus `environment`), output discarded
    /// unless `stderr` is given (the handle may be closed once this returns: the child has its own copy).
    public static func spawn(_ arguments: [String], environment: [String: String] = [:], stderr: FileHandle? = nil) throws -> ChildProcess {
        try ChildProcess.spawn(
            HookbayProcess.executable.path, arguments,
            environment: Fixtures.environment.merging(environment) { _, new in new }.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a },
            stdout: .discard, stderr: stderr.map { ChildProcess.Redirection.descriptor($0.fileDescriptor) } ?? .discard)
    }

    /// Runs `hookbay` with `arguments` to its end, without blocking the cooperative pool: its exit status and its output
    /// (standard output and error together).
    public static func runToEnd(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        let environment = environment.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a }
        return try await ChildProcess.run(HookbayProcess.executable.path, arguments, environment: environment)
    }

    /// GETs `127.0.0.1:port` + `path`; the status, or `nil` when nothing answered.
    public static func get(port: Int, path: String) async -> Int? {
        let request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!, timeoutInterval: 2)
        return await withCheckedContinuation { continuation in
            URLSession.shared.dataTask(with: request) { _, response, _ in
                continuation.resume(returning: (response as? HTTPURLResponse)?.statusCode)
            }.resume()
        }
    }

    /// POSTs `body` to `127.0.0.1:port` + `path`; the status and body, or `nil` when nothing answered.
    public static func post(port: Int, path: String, body: String, headers: [String: String]) async -> (status: Int, body: String)? {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        return await withCheckedContinuation { continuation in
            URLSession.shared.dataTask(with: request) { data, response, _ in
                guard let status = (response as? HTTPURLResponse)?.statusCode else { return continuation.resume(returning: nil) }
                continuation.resume(returning: (status, String(decoding: data ?? Data(), as: UTF8.self)))
            }.resume()
        }
    }

    /// A signed delivery of the seed's envelope for `platform`.
    public static func postSigned(port: Int, platform: String, contentID: String = UUID().uuidString) async -> (status: Int, body: String)? {
        let body = Fixtures.envelope(platform: platform, contentID: contentID)
        return await post(port: port, path: "/api/v1/webhooks/\(platform)", body: body, headers: ["X-Webhook-Signature": Fixtures.signature(body)])
    }
}
