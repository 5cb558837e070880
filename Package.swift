// swift-tools-version:6.0
import PackageDescription

/// What the gateway's two test targets (unit and integration) both build on.
let gatewayTestDependencies: [Target.Dependency] = [
    "Hookbay",
    "HookbayRedis",
    "HookbayJSON",
    "HookbayPluginKit",
    "HookbayTestSupport",
    .product(name: "HummingbirdTesting", package: "hummingbird"),
    .product(name: "HTTPTypes", package: "swift-http-types"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
    .product(name: "Yams", package: "Yams"),
    .product(name: "GRDB", package: "GRDB.swift"),
]

let package = Package(
    name: "Hookbay",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hookbay", targets: ["hookbay"]),
        .library(name: "Hookbay", targets: ["Hookbay"]),
        .library(name: "HookbayRedis", targets: ["HookbayRedis"]),
        .library(name: "HookbayPluginKit", targets: ["HookbayPluginKit"]),
        // Reference adapter plugins, loaded at run time with dlopen (never linked into the host).
        .library(name: "NetflixAdapter", type: .dynamic, targets: ["NetflixAdapter"]),
        .library(name: "GenericAdapter", type: .dynamic, targets: ["GenericAdapter"]),
        .library(name: "CBasicAdapter", type: .dynamic, targets: ["CBasicAdapter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", exact: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", exact: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", exact: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", exact: "1.37.0"),
    ],
    targets: [
        // hiredis (Debian's libhiredis-dev) as a system library: its RESP reader parses replies.
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        // zlib (Debian's zlib1g-dev) as a system library: gzip and deflate request bodies are inflated with bounds.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Strict JSON parsing and canonical serialisation, shared by the gateway and the plugin SDK.
        .target(name: "HookbayJSON"),
        // The adapter plugin C ABI: one header, changed only with a version bump. Depends on nothing.
        .target(name: "HookbayPluginABI"),
        // The Swift SDK for writing adapter plugins.
        .target(
            name: "HookbayPluginKit",
            dependencies: ["HookbayPluginABI", "HookbayJSON"]
        ),
        .target(
            name: "NetflixAdapter",
            dependencies: ["HookbayPluginKit", "HookbayJSON"],
            path: "Plugins/NetflixAdapter"
        ),
        .target(
            name: "GenericAdapter",
            dependencies: ["HookbayPluginKit", "HookbayJSON"],
            path: "Plugins/GenericAdapter"
        ),
        .target(
            name: "CBasicAdapter",
            dependencies: ["HookbayPluginABI"],
            path: "Plugins/CBasicAdapter"
        ),
        // Typed, pipelined Redis client on SwiftNIO; depends on nothing of Hookbay.
        .target(
            name: "HookbayRedis",
            dependencies: [
                "CHiredis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The gateway: one folder per pipeline stage.
        .target(
            name: "Hookbay",
            dependencies: [
                "HookbayRedis",
                "HookbayJSON",
                "HookbayPluginABI",
                "CZlib",
                "HookbayPluginKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            // Compiled into the binary (PackageResources.<name>_<ext>): the queue's Lua scripts (one file each, read by
            // scripts/bench too) and the console's files.
            resources: [
                .embedInCode("Queue/Scripts/enqueue.lua"),
                .embedInCode("Queue/Scripts/complete.lua"),
                .embedInCode("Queue/Scripts/dead_letter.lua"),
                .embedInCode("Queue/Scripts/lease_due.lua"),
                .embedInCode("Queue/Scripts/replay.lua"),
                .embedInCode("Queue/Scripts/purge.lua"),
                // The ops console's page (GET /console).
                .embedInCode("Console/Assets/console.html"),
                .embedInCode("Console/Assets/console.css"),
                .embedInCode("Console/Assets/console.js"),
            ]
        ),
        // The executable: argument parsing and wiring only.
        .executableTarget(
            name: "hookbay",
            dependencies: [
                "Hookbay",
                "HookbayJSON",
                "HookbayRedis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The request path's parsers as fuzz targets, shared by the libFuzzer binary and the corpus tests.
        .target(
            name: "HookbayFuzzTargets",
            dependencies: ["Hookbay", "HookbayJSON", "HookbayPluginKit", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // libFuzzer binary (scripts/fuzz builds it with -sanitize=fuzzer,address -DHOOKBAY_FUZZ).
        .executableTarget(
            name: "hookbay-fuzz",
            dependencies: ["HookbayFuzzTargets"]
        ),
        // Synchronous plugin workload for valgrind (scripts/plugin-leak-check).
        .executableTarget(
            name: "hookbay-plugin-exercise",
            dependencies: ["Hookbay"]
        ),
        // Tests: one target per module (fast, no servers), and one for what needs Redis, processes or a compiler.
        // Helpers shared by the gateway's two test targets (fixtures, a private redis-server, gcc-built plugins,
        // `hookbay` processes). Fixtures shared with the scripts live in Tests/Fixtures.
        .target(
            name: "HookbayTestSupport",
            dependencies: [
                "Hookbay",
                "CZlib",
                "HookbayRedis",
                "HookbayJSON",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/HookbayTestSupport"
        ),
        .testTarget(name: "HookbayJSONTests", dependencies: ["HookbayJSON"]),
        .testTarget(name: "HookbayPluginKitTests", dependencies: ["HookbayPluginKit", "HookbayJSON"]),
        .testTarget(
            name: "HookbayRedisTests",
            dependencies: ["HookbayRedis", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "HookbayTests",
            dependencies: gatewayTestDependencies + [
                "HookbayFuzzTargets",
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "HookbayIntegrationTests",
            dependencies: gatewayTestDependencies + [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ]
)
