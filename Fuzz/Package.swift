// swift-tools-version: 6.1
// libFuzzer targets over SkelZoo's untrusted-input readers. Build and run with `make fuzz` from the repository root:
//   swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
import PackageDescription

let package = Package(
    name: "SkelZooFuzz",
    dependencies: [.package(name: "SkelZoo", path: "..")],
    targets: [
        .executableTarget(name: "PickleFuzzer", dependencies: [.product(name: "ZooTorch", package: "SkelZoo")]),
    ]
)
