// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "cachescope",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cachescope", targets: ["cachescope"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        // C libraries, seen only by the two edge modules that wrap them.
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CNcurses", pkgConfig: "ncursesw", providers: [.apt(["libncurses-dev"])]),

        // Pure cores: no C, no Hummingbird, no I/O.
        .target(name: "CacheCore"),
        .target(name: "Dashboard", dependencies: ["CacheCore"]),

        // Edges.
        .target(name: "RedisClient", dependencies: [
            "CHiredis", "CacheCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "DashboardTerminal", dependencies: ["CNcurses", "Dashboard"]),
        .target(name: "CacheServer", dependencies: [
            "CacheCore", "RedisClient",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "LoadGenerator", dependencies: ["CacheCore"]),
        .target(name: "DashboardRuntime", dependencies: [
            "CacheCore", "Dashboard", "DashboardTerminal", "RedisClient", "LoadGenerator",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "cachescope", dependencies: [
            "CacheServer", "DashboardRuntime", "LoadGenerator", "RedisClient",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),

        .target(name: "TestSupport", dependencies: ["RedisClient", "CacheServer", "LoadGenerator",
                                                    .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                                                    .product(name: "Logging", package: "swift-log")],
                path: "Tests/TestSupport"),
        .testTarget(name: "CacheCoreTests", dependencies: ["CacheCore", "LoadGenerator"]),
        .testTarget(name: "DashboardTests", dependencies: ["Dashboard", "CacheCore"]),
        .testTarget(name: "RedisClientTests", dependencies: ["RedisClient", "TestSupport",
                                                           .product(name: "NIOPosix", package: "swift-nio")]),
        .testTarget(name: "CacheServerTests", dependencies: ["CacheServer", "RedisClient", "CacheCore", "LoadGenerator", "TestSupport"]),
        .testTarget(name: "DashboardRuntimeTests", dependencies: ["DashboardRuntime", "Dashboard", "RedisClient", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["RedisClient", "LoadGenerator", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
