// swift-tools-version: 6.1
// libFuzzer targets over SkelZoo's untrusted-input readers, one executable each. Build and run them all with
// `make fuzz` from the repository root (Fuzz/run.sh); the build is
//   swift build -c release -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp
// Each target carries its own libFuzzer limits (FuzzSupport/FuzzDriver.swift) and writes its own seed corpus from
// ../shared/fixtures with `<target> --write-seeds <fixtures> <corpus>`.
import PackageDescription

/// libFuzzer's driver is linked into the fuzz executables only; the code under test gets AddressSanitizer and
/// coverage from the command line (`-sanitize=fuzzer` there would also link libFuzzer into the zoo-embed build tool).
/// `-parse-as-library`: each target defines its own `<Target>_main` (FuzzSupport/FuzzDriver.swift) and has no
/// top-level code.
let fuzzer: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"])]
let library: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "SkelZooFuzz",
    dependencies: [.package(name: "SkelZoo", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "ZooTorch", package: "SkelZoo")]),
        .executableTarget(name: "PickleFuzzer", dependencies: ["FuzzSupport", .product(name: "ZooTorch", package: "SkelZoo")], swiftSettings: library, linkerSettings: fuzzer),
        .executableTarget(name: "ZipFuzzer", dependencies: ["FuzzSupport", .product(name: "ZooTorch", package: "SkelZoo")], swiftSettings: library, linkerSettings: fuzzer),
        .executableTarget(name: "AnnotationFuzzer", dependencies: [
            "FuzzSupport", .product(name: "ZooTorch", package: "SkelZoo"),
            .product(name: "ZooPose", package: "SkelZoo"), .product(name: "ZooConfig", package: "SkelZoo"),
        ], swiftSettings: library, linkerSettings: fuzzer),
        .executableTarget(name: "ConfigFuzzer", dependencies: [
            "FuzzSupport", .product(name: "ZooConfig", package: "SkelZoo"), .product(name: "ZooPose", package: "SkelZoo"),
        ], swiftSettings: library, linkerSettings: fuzzer),
    ]
)
