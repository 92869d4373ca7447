// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "cachescope",
    products: [
        .library(name: "CacheScopeKit", targets: ["CacheScopeKit"]),
        .executable(name: "cachescope", targets: ["cachescope"]),
        .executable(name: "cachescope-example", targets: ["cachescope-example"]),
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
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // C libraries, seen only by the two edge modules that wrap them.
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CNcurses", pkgConfig: "ncursesw", providers: [.apt(["libncurses-dev"])]),

        // Pure cores: no C, no Hummingbird, no I/O.
        .target(name: "CacheCore"),
        .target(name: "Dashboard", dependencies: ["CacheCore"]),

        // Edges.
        .target(
            name: "RedisClient",
            dependencies: [
                "CHiredis", "CacheCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]),
        .target(name: "DashboardTerminal", dependencies: ["CNcurses", "Dashboard"]),

        // What CacheScope keeps in Redis and how (no Hummingbird): servers and dashboards share it.
        .target(name: "CacheProtocol", dependencies: ["CacheCore", "RedisClient"]),

        // The library: declared routes served cache-aside from Redis by any Hummingbird app.
        .target(
            name: "CacheScopeKit",
            dependencies: [
                "CacheCore", "CacheProtocol", "RedisClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),

        // Apps on the library.
        .target(
            name: "ProductAPI",
            dependencies: [
                "CacheCore", "CacheScopeKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .target(name: "LoadGenerator", dependencies: ["CacheCore"]),
        .target(
            name: "DashboardRuntime",
            dependencies: ["CacheCore", "CacheProtocol", "Dashboard", "DashboardTerminal", "RedisClient", "LoadGenerator"]),
        .executableTarget(
            name: "cachescope",
            dependencies: [
                "CacheCore", "CacheProtocol", "CacheScopeKit", "ProductAPI", "Dashboard", "DashboardRuntime", "LoadGenerator", "RedisClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "cachescope-example",
            dependencies: [
                "CacheScopeKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/cachescope-example"),

        .target(
            name: "TestSupport",
            dependencies: [
                "RedisClient", "CacheCore", "CacheProtocol", "CacheScopeKit", "ProductAPI", "LoadGenerator",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/TestSupport"),
        .testTarget(name: "CacheCoreTests", dependencies: ["CacheCore", "LoadGenerator"]),
        .testTarget(name: "CacheProtocolTests", dependencies: ["CacheProtocol", "CacheCore", "RedisClient"]),
        .testTarget(name: "DashboardTests", dependencies: ["Dashboard", "CacheCore"]),
        .testTarget(
            name: "RedisClientTests",
            dependencies: [
                "RedisClient", "TestSupport", .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .testTarget(
            name: "CacheServerTests",
            dependencies: [
                "CacheScopeKit", "CacheProtocol", "ProductAPI", "RedisClient", "CacheCore", "LoadGenerator", "TestSupport",
            ]),
        .testTarget(
            name: "DashboardRuntimeTests",
            dependencies: ["DashboardRuntime", "Dashboard", "CacheProtocol", "RedisClient", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["CacheCore", "CacheProtocol", "RedisClient", "LoadGenerator", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
