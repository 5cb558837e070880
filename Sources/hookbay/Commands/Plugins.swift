import ArgumentParser
import Hookbay

/// `hookbay plugins`: the adapter plugins found, optionally exercised.
struct Plugins: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the adapter plugins found: name, version, ABI version, path.")

    @OptionGroup var config: ConfigOptions

    @Option(
        help: "Also run validate+process this many times through each plugin on a sample event (a smoke test; run under valgrind to check for leaks)."
    )
    var exercise: Int = 0

    func run() throws {
        let configuration = try resolveConfiguration([config])
        let directories = PlatformLoader.searchDirectories(pluginDirectory: configuration.pluginDirectory)
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
