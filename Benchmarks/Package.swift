// swift-tools-version:6.1
// Benchmarks live in their own package so the main build stays fast. `scripts/bench` builds and runs the HTTP ceiling;
// `swift package --package-path Benchmarks benchmark` runs the micro-benchmarks (instructions, allocations, time).
import PackageDescription

let package = Package(
    name: "HookbayBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/ordo-one/benchmark.git", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(name: "Hookbay", path: ".."),
    ],
    targets: [
        // The HTTP ceiling: the same server stack reading the body and answering 202, doing nothing else.
        .executableTarget(
            name: "http-ceiling",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]
        ),
        // Micro-benchmarks of the receive and processing hot paths (ordo-one/benchmark; sources in Benchmarks/HotPaths).
        .executableTarget(
            name: "HotPaths",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Hookbay", package: "Hookbay"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Benchmarks/HotPaths",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
