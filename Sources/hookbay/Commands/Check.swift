import ArgumentParser
import Foundation
import Hookbay

/// `hookbay check`: every platform file loaded as `serve` loads it, each problem printed.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load every platform file and print each problem; exit non-zero when there is any."
    )

    @OptionGroup var config: ConfigOptions

    func run() throws {
        let configuration = try resolveConfiguration([config])
        let loader = PlatformLoader(configuration: configuration, environment: ProcessInfo.processInfo.environment)
        let report: PlatformLoader.Result
        do {
            report = try loader.load(directory: configuration.configDirectory)
        } catch {
            print("error: \(error)")
            throw ExitCode(2)
        }
        for platform in report.platforms.values.sorted(by: { $0.id < $1.id }) {
            let c = platform.config
            print(
                "ok: \(c.sourceFile): platform \(c.id) (\(c.enabled ? "enabled" : "disabled"), adapter \(c.adapter) \(platform.adapter.plugin.version))"
            )
        }
        for notice in report.notices {
            print("notice: \(notice)")
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
