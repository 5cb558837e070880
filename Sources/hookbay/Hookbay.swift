import ArgumentParser
import Foundation
import Hookbay
import Hummingbird
import Logging

@main
struct HookbayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hookbay",
        abstract: "Webhook ingestion gateway: verify, rate-limit, de-duplicate and durably queue signed webhooks.",
        subcommands: [Serve.self, Check.self, Plugins.self],
        defaultSubcommand: Serve.self
    )
}

/// Options every command that reads the config directory takes.
struct ConfigOptions: ParsableArguments {
    @Option(name: .customLong("config-dir"), help: "Directory of platform YAML files (env HOOKBAY_CONFIG_DIR; default platforms.d).")
    var configDir: String?

    @Option(name: .customLong("plugin-dir"), help: "Directory searched for adapter plugins (.so) before the executable's own (env HOOKBAY_PLUGIN_DIR).")
    var pluginDir: String?

    var resolvedConfigDir: String {
        configDir ?? ProcessInfo.processInfo.environment["HOOKBAY_CONFIG_DIR"] ?? "platforms.d"
    }

    var resolvedPluginDir: String? {
        pluginDir ?? ProcessInfo.processInfo.environment["HOOKBAY_PLUGIN_DIR"]
    }

    var loader: PlatformLoader {
        PlatformLoader(
            environment: ProcessInfo.processInfo.environment,
            pluginDirectories: PlatformLoader.searchDirectories(pluginDirectory: resolvedPluginDir)
        )
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP gateway.")

    @Option(help: "Address to listen on (env HOOKBAY_HOST; default 0.0.0.0).")
    var host: String?

    @Option(help: "Port to listen on (env HOOKBAY_PORT; default 8080).")
    var port: Int?

    @OptionGroup var config: ConfigOptions

    @Option(name: .customLong("redis-url"), help: "redis://[:password@]host:port[/db] (env REDIS_URL). Without it, an embedded, NON-durable in-process queue is used.")
    var redisURL: String?

    @Option(name: .customLong("max-body-bytes"), help: "Largest webhook body accepted, in bytes (env HOOKBAY_MAX_BODY_BYTES; default 1048576).")
    var maxBodyBytes: Int?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env LOG_LEVEL; default info).")
    var logLevel: String?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let logger = try makeLogger(level: logLevel ?? env["LOG_LEVEL"])
        var configuration = GatewayConfiguration()
        configuration.host = host ?? env["HOOKBAY_HOST"] ?? configuration.host
        configuration.port = try port ?? env["HOOKBAY_PORT"].map { try Self.int($0, "HOOKBAY_PORT") } ?? configuration.port
        configuration.configDirectory = config.resolvedConfigDir
        configuration.pluginDirectory = config.resolvedPluginDir
        configuration.redisURL = redisURL ?? env["REDIS_URL"]
        configuration.maxBodyBytes = try maxBodyBytes ?? env["HOOKBAY_MAX_BODY_BYTES"].map { try Self.int($0, "HOOKBAY_MAX_BODY_BYTES") } ?? configuration.maxBodyBytes
        guard configuration.maxBodyBytes > 0 else { throw ValidationError("--max-body-bytes must be positive") }
        guard (0...65535).contains(configuration.port) else { throw ValidationError("--port must be between 0 and 65535") }
        let (application, _) = try buildApplication(configuration: configuration, environment: env, logger: logger)
        try await application.runService()
    }

    static func int(_ text: String, _ name: String) throws -> Int {
        guard let value = Int(text) else { throw ValidationError("\(name) must be a whole number, not '\(text)'") }
        return value
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load every platform file and print each problem; exit non-zero when there is any."
    )

    @OptionGroup var config: ConfigOptions

    func run() throws {
        let report: PlatformLoader.Result
        do {
            report = try config.loader.load(directory: config.resolvedConfigDir)
        } catch {
            print("error: \(error)")
            throw ExitCode(2)
        }
        for platform in report.platforms.values.sorted(by: { $0.id < $1.id }) {
            let c = platform.config
            print("ok: \(c.sourceFile): platform \(c.id) (\(c.enabled ? "enabled" : "disabled"), adapter \(c.adapter) \(platform.adapter.plugin.version))")
        }
        for problem in report.problems {
            print("error: \(problem)")
        }
        for problem in report.catalog.problems {
            print("warning: plugin \(problem)")
        }
        print("\(report.platforms.count) platform(s) loaded, \(report.problems.count) problem(s)")
        if !report.problems.isEmpty { throw ExitCode(1) }
    }
}

struct Plugins: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the adapter plugins found: name, version, ABI version, path.")

    @OptionGroup var config: ConfigOptions

    @Option(help: "Also run validate+process this many times through each plugin on a sample event (a smoke test; run under valgrind to check for leaks).")
    var exercise: Int = 0

    func run() throws {
        let directories = PlatformLoader.searchDirectories(pluginDirectory: config.resolvedPluginDir)
        let catalog = PluginLoader.discover(directories: directories)
        print("searched: \(directories.joined(separator: ", "))")
        for plugin in catalog.all {
            print("\(plugin.name)\t\(plugin.version)\tabi \(plugin.abiVersion)\t\(plugin.path)")
            if exercise > 0 {
                let result = try PluginExercise.run(plugin: plugin, iterations: exercise)
                print("  \(exercise) × validate+process: \(result.updates) updates, \(result.nanosecondsPerCall) ns per validate+process")
            }
        }
        for problem in catalog.problems {
            print("refused: \(problem)")
        }
        if !catalog.problems.isEmpty { throw ExitCode(1) }
    }
}

func makeLogger(level: String?) throws -> Logger {
    let logLevel: Logger.Level
    if let level {
        guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
            throw ValidationError("unknown log level '\(level)'")
        }
        logLevel = parsed
    } else {
        logLevel = .info
    }
    LoggingSystem.bootstrap(StreamLogHandler.standardError)
    var logger = Logger(label: "hookbay")
    logger.logLevel = logLevel
    return logger
}
