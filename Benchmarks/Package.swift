// swift-tools-version:6.0
// Benchmarks live in their own package so the main build stays fast. `scripts/bench` builds and runs them.
import PackageDescription

let package = Package(
    name: "HookbayBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
    ],
    targets: [
        // The HTTP ceiling: the same server stack reading the body and answering 202, doing nothing else.
        .executableTarget(
            name: "http-ceiling",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]
        ),
    ]
)
