import HookbayFuzzTargets

// libFuzzer entry point: `scripts/fuzz` builds this with -sanitize=fuzzer,address -DHOOKBAY_FUZZ.
// HOOKBAY_FUZZ_TARGET names the target (json, signature, envelope, yaml). SwiftPM links an executable's entry point
// as `<module>_main`, so this defines that and hands over to libFuzzer's driver.
#if HOOKBAY_FUZZ
    import Glibc

    nonisolated(unsafe) let target: ([UInt8]) -> Void = {
        let name = getenv("HOOKBAY_FUZZ_TARGET").map { String(cString: $0) } ?? ""
        guard let target = FuzzTargets.all[name] else {
            print("set HOOKBAY_FUZZ_TARGET to one of: \(FuzzTargets.all.keys.sorted().joined(separator: ", "))")
            exit(2)
        }
        return target
    }()

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        target(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }

    @_silgen_name("LLVMFuzzerRunDriver")
    func runFuzzerDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    @_cdecl("hookbay_fuzz_main")
    public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        var argc = argc
        var argv = argv
        return runFuzzerDriver(&argc, &argv) { data, size in fuzzOne(data, size) }
    }
#else
    import Foundation

    /// Without the fuzzer: runs each file named on the command line through a target, as the corpus tests do.
    @main
    struct FuzzCorpusRunner {
        static func main() {
            let arguments = CommandLine.arguments.dropFirst()
            guard let name = arguments.first, let target = FuzzTargets.all[name] else {
                print(
                    "usage: hookbay-fuzz TARGET FILE... (targets: \(FuzzTargets.all.keys.sorted().joined(separator: ", "))); scripts/fuzz builds the libFuzzer binary"
                )
                return
            }
            for path in arguments.dropFirst() {
                guard let data = FileManager.default.contents(atPath: path) else {
                    print("cannot read \(path)")
                    continue
                }
                target(Array(data))
            }
        }
    }
#endif
