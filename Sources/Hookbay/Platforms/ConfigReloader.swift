import Crypto
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Applies changes in the config directory without a restart: polled every interval (robust to editors that save by
/// rename, `git pull`, Kubernetes ConfigMap symlink swaps), on `SIGHUP`, and on `POST /api/v1/admin/reload`.
///
/// A file that fails to load keeps its previous good version serving; the error is logged, counted and shown by
/// `GET /api/v1/admin/platforms`. A half-written file is simply refused until the next poll sees it whole.
public final class ConfigReloader: Service, Sendable {
    /// What one reload did.
    public struct Report: Sendable, Equatable {
        public var platforms: [String]
        public var problems: [ConfigProblem]
        public var changed: Bool
    }

    struct State {
        var fingerprint: [UInt8] = []
        /// The secret files the platforms served name: their content is part of the fingerprint.
        var secretFiles: [String] = []
        /// The last version of each file that loaded, by file name.
        var lastGood: [String: ServedPlatform] = [:]
        var reloads = 0
        var failures = 0
    }

    public let directory: String
    public let loader: PlatformLoader
    public let registry: PlatformRegistry
    public let interval: Duration
    public let metrics: WebhookMetrics?
    /// Told the platforms served after each reload that changed them: what is kept per platform elsewhere (rate-limit
    /// buckets) is forgotten for platforms gone.
    private let served: (@Sendable (Set<String>) -> Void)?
    private let logger: Logger
    private let state = Mutex(State())
    /// Serialises reloads (poll, signal and HTTP may ask at once); a reload is synchronous and short.
    private let reloading = Mutex(())

    public init(
        directory: String, loader: PlatformLoader, registry: PlatformRegistry, interval: Duration = .seconds(1),
        metrics: WebhookMetrics? = nil, served: (@Sendable (Set<String>) -> Void)? = nil, logger: Logger
    ) {
        self.metrics = metrics
        self.served = served
        self.directory = directory
        self.loader = loader
        self.registry = registry
        self.interval = interval
        self.logger = logger
        let initial = Dictionary(registry.all.map { ($0.config.sourceFile, $0) }, uniquingKeysWith: { a, _ in a })
        let secretFiles = Self.secretFiles(of: registry.all)
        let fingerprint = (try? Self.fingerprint(of: directory, secretFiles: secretFiles)) ?? []
        self.state.withLock { state in
            state.lastGood = initial
            state.fingerprint = fingerprint
            state.secretFiles = secretFiles
        }
    }

    /// Reload counts: (successful reloads, reloads with at least one refused file).
    public var counts: (reloads: Int, failures: Int) {
        self.state.withLock { ($0.reloads, $0.failures) }
    }

    public func run() async throws {
        // Graceful shutdown cancels both loops.
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in await UnixSignalsSequence(trapping: .sighup) {
                        self.logger.info("SIGHUP: reloading platforms")
                        _ = self.reload(force: true)
                    }
                }
                group.addTask {
                    // A zero interval turns polling off: SIGHUP and the reload endpoint still work.
                    guard self.interval > .zero else {
                        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                        return
                    }
                    while !Task.isCancelled {
                        try? await Task.sleep(for: self.interval)
                        if Task.isCancelled { break }
                        _ = self.reload(force: false)
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Reloads when the directory changed (or always, with `force`).
    @discardableResult
    public func reload(force: Bool) -> Report {
        self.reloading.withLock { _ in self.reloadSerially(force: force) }
    }

    private func reloadSerially(force: Bool) -> Report {
        let fingerprint: [UInt8]
        do {
            fingerprint = try Self.fingerprint(of: self.directory, secretFiles: self.state.withLock { $0.secretFiles })
        } catch {
            let problem = ConfigProblem(file: self.directory, message: "cannot read the config directory: \(error)")
            self.logger.error("reload failed; platforms unchanged", metadata: ["problem": .string(problem.description)])
            self.state.withLock { $0.failures += 1 }
            self.metrics?.recordReload(failed: true)
            return Report(platforms: self.registry.all.map(\.id), problems: [problem], changed: false)
        }
        let unchanged = self.state.withLock { $0.fingerprint == fingerprint }
        if unchanged && !force {
            return Report(platforms: self.registry.all.map(\.id), problems: self.registry.problems, changed: false)
        }

        let previous = Dictionary(self.registry.all.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let result: PlatformLoader.Result
        do {
            result = try self.loader.load(directory: self.directory, reusing: previous)
        } catch {
            self.logger.error("reload failed; platforms unchanged", metadata: ["problem": .string(error.description)])
            self.state.withLock { $0.failures += 1 }
            self.metrics?.recordReload(failed: true)
            return Report(platforms: self.registry.all.map(\.id), problems: [error], changed: false)
        }

        var platforms = result.platforms
        var problems = result.problems
        let lastGood = self.state.withLock { $0.lastGood }
        // A refused file that loaded before keeps serving its previous version.
        let refusedFiles = Set(result.problems.map(\.file))
        // Except when its secret is what is missing: then it serves without one (503 secret_unavailable), so that a
        // deleted or emptied secret file revokes the old secret at once.
        for file in refusedFiles {
            guard let kept = lastGood[file], platforms[kept.id] == nil else { continue }
            let secretLost = result.problems.contains { $0.file == file && ($0.key == "secret_file" || $0.key == "secret_env") }
            platforms[kept.id] = secretLost ? kept.withoutSecrets() : kept.withSecretFilesReread()
            problems = problems.map { problem in
                guard problem.file == file else { return problem }
                var annotated = problem
                if !kept.config.enabled {
                    annotated.message += " (the previous version, disabled, stays)"
                } else if secretLost {
                    annotated.message += " (the platform answers 503 secret_unavailable until its secret is back)"
                } else {
                    annotated.message += " (the previous version keeps serving)"
                }
                if problem.key == "secret_env" {
                    annotated.message += "; environment variables are read once, at start-up: restart with it set"
                }
                return annotated
            }
        }
        for notice in result.notices {
            self.logger.notice("platform loaded without its secret", metadata: ["notice": .string(notice)])
        }
        for problem in problems {
            self.logger.error("platform file refused", metadata: ["file": .string(problem.file), "problem": .string(problem.description)])
        }
        let before = Set(previous.keys)
        let after = Set(platforms.keys)
        self.registry.replace(with: platforms, problems: problems)
        self.served?(after)
        let secretFiles = Self.secretFiles(of: Array(platforms.values))
        // Taken again with the secret files now named, so that the next poll compares like with like.
        let settled = (try? Self.fingerprint(of: self.directory, secretFiles: secretFiles)) ?? fingerprint
        self.state.withLock { state in
            state.fingerprint = settled
            state.secretFiles = secretFiles
            var good: [String: ServedPlatform] = [:]
            for platform in platforms.values { good[platform.config.sourceFile] = platform }
            state.lastGood = good
            state.reloads += 1
            if !problems.isEmpty { state.failures += 1 }
        }
        self.metrics?.recordReload(failed: !problems.isEmpty)
        self.metrics?.recordPluginErrors(result.catalog.problems.count)
        self.logger.info(
            "platforms reloaded",
            metadata: [
                "platforms": .string(after.sorted().joined(separator: ",")),
                "added": .string(after.subtracting(before).sorted().joined(separator: ",")),
                "removed": .string(before.subtracting(after).sorted().joined(separator: ",")),
                "refused_files": .stringConvertible(problems.count),
            ])
        return Report(platforms: after.sorted(), problems: problems, changed: true)
    }

    /// The secret files named by `platforms`, sorted, each once.
    static func secretFiles(of platforms: [ServedPlatform]) -> [String] {
        Array(Set(platforms.flatMap(\.config.secretFiles))).sorted()
    }

    /// A digest of every platform file's name and content (through symlinks), and of each secret file's content (or
    /// its absence), so any change is seen: a rotated secret is used, and a deleted one revoked, within an interval.
    static func fingerprint(of directory: String, secretFiles: [String] = []) throws -> [UInt8] {
        var hasher = SHA256()
        for path in secretFiles {
            hasher.update(data: Array(path.utf8) + [0])
            if let bytes = PlatformFileParser.readSecretFile(path) {
                hasher.update(data: SHA256.hash(data: bytes).withUnsafeBytes { Array($0) } + [1])
            } else {
                hasher.update(data: [2])
            }
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        for name in names where !name.hasPrefix(".") && (name.hasSuffix(".yaml") || name.hasSuffix(".yml")) {
            hasher.update(data: Array(name.utf8) + [0])
            let path = (directory as NSString).appendingPathComponent(name)
            // Read as the loader reads it (bounded, regular files only): a file past the limit is refused whatever its
            // bytes, so only that it is too large counts.
            switch BoundedFile.read(path, limit: PlatformFileParser.maxFileBytes) {
            case .success(let bytes): hasher.update(data: bytes + [0])
            case .failure(.tooLarge): hasher.update(data: [1])
            case .failure(.unreadable): hasher.update(data: [2])
            }
        }
        return Array(hasher.finalize())
    }
}
