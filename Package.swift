// swift-tools-version: 6.1
// SkelZoo: a reproducibility and benchmark harness with a model zoo for skeleton action recognition.
// Module map and layering: see README.md ("Layout") and the architecture notes; arrows point one way:
// SkelZooCLI -> ZooHarness -> ZooRunner / ZooReport / ZooFetch / ZooRegistry -> ZooSTGCN / ZooPose / ZooTorch
//   -> ZooTensor -> ZooKernels / CBLAS.
// ZooIO (atomic writes, file locks, SHA-256, errors with hints, POSIX) sits beside. ZooConfig (typed YAML) maps YAML onto
// the compute layers' own types (ZooPose's PipelineStep and SyntheticRecipe), so it depends on ZooPose and no compute
// module depends on it or on Yams. The CLI parses, calls ZooHarness and prints; it imports no compute module.
import PackageDescription

/// Release builds of the numeric targets drop bounds checks in the hot loops' unsafe pointers only;
/// every check on input data is explicit code, not a trap, so nothing here depends on `-Ounchecked`.
let numericSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "SkelZoo",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "skelzoo", targets: ["SkelZooCLI"]),
        // For the fuzzers in Fuzz/ (a package of their own, so `swift build` here never needs libFuzzer).
        .library(name: "ZooTorch", targets: ["ZooTorch"]),
        .library(name: "ZooPose", targets: ["ZooPose"]),
        .library(name: "ZooConfig", targets: ["ZooConfig"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl"),
        .target(name: "ZooFetch", dependencies: ["CCurl", "ZooIO"]),
        // SkelZoo's fixed-order GEMM (contract in include/zoo_kernels.h). Optimised in debug builds too, so tests
        // run at speed; never contracted into fmas the source does not write, never fast-math.
        .target(name: "ZooKernels", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off", "-fno-fast-math"])]),
        .target(name: "ZooTensor", dependencies: ["CBLAS", "ZooKernels"], swiftSettings: numericSettings),
        .target(name: "ZooTorch", dependencies: ["ZooTensor"]),
        .target(name: "ZooSTGCN", dependencies: ["ZooTensor", "ZooTorch"], swiftSettings: numericSettings),
        .target(name: "ZooPose", dependencies: ["ZooTensor", "ZooTorch"]),
        .target(name: "ZooConfig", dependencies: ["ZooPose", "Yams"], plugins: ["EmbedZooPlugin"]),
        .target(name: "ZooRegistry", dependencies: ["ZooConfig", "ZooIO", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "ZooRunner", dependencies: ["ZooTensor", "ZooSTGCN", "ZooPose", "ZooTorch", "ZooConfig", "ZooIO", .product(name: "Crypto", package: "swift-crypto")]),
        // Plans, tasks, sbatch scripts and collect: runs executed elsewhere (Slurm) and imported into the registry.
        // Everything a command does beyond parsing: reproduce, train/test runs recorded in the registry, reports, the cache,
        // and the Slurm executor (plans, tasks, sbatch scripts, collect).
        .target(name: "ZooHarness", dependencies: ["ZooRunner", "ZooRegistry", "ZooReport", "ZooFetch", "ZooIO", "ZooConfig", "ZooPose", "ZooSTGCN", "ZooTorch", "ZooTensor"]),
        // Shared plumbing: atomic writes, file locks, streaming SHA-256, errors with hints, checked POSIX calls. No compute module.
        .target(name: "ZooIO", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "ZooReport"),
        .executableTarget(
            name: "SkelZooCLI",
            dependencies: [
                "ZooConfig", "ZooFetch", "ZooHarness", "ZooIO", "ZooRegistry", "ZooReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Build-time tool: embeds zoo/*.yml and configs/**/*.yml into ZooConfig so the binary works anywhere.
        .executableTarget(name: "zoo-embed", path: "Plugins/ZooEmbedTool"),
        .plugin(name: "EmbedZooPlugin", capability: .buildTool(), dependencies: ["zoo-embed"]),

        .target(name: "ZooTestSupport", path: "Tests/ZooTestSupport"),
        .testTarget(name: "ZooConfigTests", dependencies: ["ZooConfig", "ZooPose", "ZooTestSupport"], exclude: ["Golden"]),
        .testTarget(name: "ZooRegistryTests", dependencies: ["ZooRegistry", "ZooTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "SkelZooCLITests", dependencies: ["ZooTestSupport"], exclude: ["Golden"]),
        .testTarget(name: "ZooFetchTests", dependencies: ["ZooFetch", "ZooTestSupport"]),
        .testTarget(name: "ZooReportTests", dependencies: ["ZooReport", "ZooTestSupport"], exclude: ["Golden"]),
        .testTarget(name: "ZooTorchTests", dependencies: ["ZooTorch", "ZooTestSupport"], exclude: ["Fuzz"]),
        .testTarget(name: "ZooPoseTests", dependencies: ["ZooPose", "ZooTorch", "ZooTestSupport"], exclude: ["Fuzz"]),
        .testTarget(name: "ZooRunnerTests", dependencies: ["ZooRunner", "ZooIO", "ZooSTGCN", "ZooPose", "ZooConfig", "ZooTensor", "ZooTestSupport"]),
        .testTarget(name: "ZooHarnessTests", dependencies: ["ZooHarness", "ZooIO", "ZooRegistry", "ZooReport", "ZooRunner", "ZooConfig", "ZooTestSupport"]),
        .testTarget(name: "ZooIOTests", dependencies: ["ZooIO", "ZooTestSupport"]),
        .testTarget(name: "ZooTensorTests", dependencies: ["ZooTensor", "ZooTestSupport"]),
        .testTarget(name: "ZooSTGCNTests", dependencies: ["ZooSTGCN", "ZooTorch", "ZooTensor", "ZooTestSupport"]),
    ]
)
