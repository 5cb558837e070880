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
    /// unless `stderr` is given.
    public static func spawn(_ arguments: [String], environment: [String: String] = [:], stderr: FileHandle? = nil) throws -> Process {
        let process = Process()
        process.executableURL = HookbayProcess.executable
        process.arguments = arguments
        process.environment = Fixtures.environment.merging(environment) { _, new in new }.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderr ?? FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs `hookbay` with `arguments` to its end, off the cooperative pool: its exit status and its output (standard
    /// output and error together).
    public static func runToEnd(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        try await runBlocking {
            let process = Process()
            process.executableURL = HookbayProcess.executable
            process.arguments = arguments
            process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a }
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
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
