// Drives every plugin beside this executable (or in the directories given as arguments) through validate+process
// N times, synchronously: the workload of scripts/plugin-leak-check, kept free of async main and dispatch signal
// handling so valgrind can run it.
import Foundation
import Hookbay

let iterations = Int(ProcessInfo.processInfo.environment["ITERATIONS"] ?? "") ?? 10_000
let directories = CommandLine.arguments.count > 1 ? Array(CommandLine.arguments.dropFirst()) : PlatformLoader.searchDirectories(pluginDirectory: nil)
let catalog = PluginLoader.discover(directories: directories)
var failed = !catalog.problems.isEmpty
for problem in catalog.problems { print("refused: \(problem)") }
for plugin in catalog.all {
    do {
        let result = try PluginExercise.run(plugin: plugin, iterations: iterations)
        print("\(plugin.name): \(iterations) × validate+process, \(result.updates) updates, \(result.nanosecondsPerCall) ns each")
    } catch {
        print("\(plugin.name): failed: \(error)")
        failed = true
    }
}
if catalog.all.isEmpty {
    print("no plugins found in \(directories)")
    failed = true
}
exit(failed ? 1 : 0)
