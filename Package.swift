// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Zenith",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "zenith", targets: ["zenith"]),
        .executable(name: "sloctl", targets: ["sloctl"]),
        .library(name: "ZenithServer", targets: ["ZenithServer"]),
        .executable(name: "zenith-load", targets: ["zenith-load"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", exact: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", exact: "0.2.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
    ],
    targets: [
        // C libraries: one system-library target each, imported by exactly one Swift module.
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        // glibc's <malloc.h>: part of the C library, so no pkg-config entry.
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(
            name: "CJSONC", pkgConfig: "json-c",
            providers: [.apt(["libjson-c-dev"])]),
        .systemLibrary(
            name: "CNGHTTP2", pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]),

        .target(name: "ZenithCore"),
        .target(name: "ZenithJSON", dependencies: ["CJSONC"]),
        .target(name: "ZenithControl", dependencies: ["ZenithCore"]),
        .target(
            name: "ZenithExecutor",
            dependencies: ["ZenithCore", "ZenithJSON", "CBLAS", "CMalloc"]),
        .target(
            name: "ZenithData",
            dependencies: [
                "ZenithCore",
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        .target(
            name: "ZenithHTTP",
            dependencies: [
                "CNGHTTP2",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // The KServe v2 gRPC messages (generated from Protos/ by scripts/generate-protos.sh; the
        // build needs no protoc) and gRPC's framing, status and deadline, for server and clients.
        .target(
            name: "ZenithGRPC",
            dependencies: ["ZenithHTTP", "ZenithJSON", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Protos"]),
        .target(
            name: "ZenithServer",
            dependencies: [
                "ZenithCore", "ZenithJSON", "ZenithExecutor", "ZenithData", "ZenithControl", "ZenithHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                "ZenithGRPC",
            ]),
        .executableTarget(
            name: "zenith",
            dependencies: [
                "ZenithServer", "ZenithCore", "ZenithData", "ZenithExecutor", "ZenithHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),
        // The operator CLI: commands, validation and output formatting live in SLOCtlKit so tests
        // can drive them; the executable only lists the subcommands.
        .target(
            name: "SLOCtlKit",
            dependencies: [
                "ZenithCore", "ZenithHTTP", "ZenithJSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "sloctl",
            dependencies: [
                "SLOCtlKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // The load harness: scenarios, open-loop sender and reports in a library; a thin CLI.
        .target(
            name: "ZenithLoad",
            dependencies: [
                "ZenithData", "ZenithGRPC", "ZenithHTTP", "ZenithJSON",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "LoadTests/Sources/ZenithLoad"),
        .executableTarget(
            name: "zenith-load",
            dependencies: [
                "ZenithLoad", "ZenithData", "ZenithHTTP", "ZenithJSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "LoadTests/Sources/zenith-load"),

        // Fuzz targets (Tests/Fuzz/README.md): a normal build replays the regression corpus; the
        // fuzzer build of scripts/fuzz.sh links libFuzzer's driver, declared by CLibFuzzer.
        .systemLibrary(name: "CLibFuzzer", path: "Tests/Fuzz/CLibFuzzer"),
        .executableTarget(
            name: "zenith-fuzz",
            dependencies: [
                "CLibFuzzer", "ZenithCore", "ZenithExecutor", "ZenithHTTP", "ZenithJSON", "ZenithServer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "Tests/Fuzz/zenith-fuzz"),

        // Helpers shared by test targets (running external clients such as curl and nghttp).
        .target(
            name: "ZenithTestSupport",
            dependencies: [
                "ZenithHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/ZenithTestSupport"),
        .testTarget(name: "ZenithJSONTests", dependencies: ["ZenithJSON"]),
        .testTarget(
            name: "ZenithGRPCTests",
            dependencies: ["ZenithGRPC", "ZenithHTTP"]),
        .testTarget(name: "ZenithControlTests", dependencies: ["ZenithControl", "ZenithCore"]),
        .testTarget(
            name: "ZenithExecutorTests", dependencies: ["ZenithExecutor", "ZenithCore", "ZenithData"], exclude: ["Fixtures"]),
        .testTarget(name: "ZenithDataTests", dependencies: ["ZenithData"], exclude: ["Fixtures"]),
        .testTarget(
            name: "ZenithHTTPTests",
            dependencies: [
                "ZenithHTTP", "ZenithTestSupport",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(
            name: "SLOCtlKitTests",
            dependencies: [
                "SLOCtlKit", "ZenithHTTP", "ZenithJSON", "ZenithTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "ZenithServerTests",
            dependencies: [
                "ZenithServer", "ZenithCore", "ZenithControl", "ZenithData", "ZenithExecutor", "ZenithHTTP",
                "ZenithJSON", "ZenithTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                "ZenithGRPC",
            ]),
        .testTarget(
            name: "ZenithLoadTests",
            dependencies: [
                "ZenithLoad", "ZenithHTTP", "ZenithJSON", "ZenithServer", "ZenithData", "ZenithTestSupport", "ZenithGRPC",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
    ]
)

// Settings for every Swift target, in one place.
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .swiftLanguageMode(.v6),
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("InternalImportsByDefault"),
    ]
}
