import Foundation
import HookbayFuzzTargets
import HookbayTestSupport
import Testing

/// Every input libFuzzer found interesting (`scripts/fuzz`, committed under `Fixtures/fuzz-corpus/TARGET`) replays
/// through its fuzz target: no crash, and each target's invariant holds.
@Suite struct FuzzCorpusTests {
    static let corpus = TestPlugins.packageRoot.appendingPathComponent("Tests/Fixtures/fuzz-corpus")

    @Test(arguments: ["json", "signature", "envelope", "yaml", "timestamp", "forward", "template", "form", "gzip"])
    func corpusReplays(target name: String) throws {
        let target = try #require(FuzzTargets.all[name])
        let directory = Self.corpus.appendingPathComponent(name)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(files.count >= 3, "the \(name) corpus is missing")
        for file in files {
            let data = try #require(FileManager.default.contents(atPath: directory.appendingPathComponent(file).path))
            target(Array(data))
        }
    }
}
