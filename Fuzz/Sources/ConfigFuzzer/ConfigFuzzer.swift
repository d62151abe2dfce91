// Feeds arbitrary text to the zoo file and experiment config readers (Yams node trees read strictly by
// ZooConfig): node kinds and types, anchors and aliases, deep nesting, huge numbers, duplicate and unknown keys.
// A config that parses must also be usable: its test pipeline runs on a one-frame sample.
// Seeds: every zoo file and config in the repository, and the configs embedded in ZooConfig.
import Foundation
import FuzzSupport
import ZooConfig
import ZooPose

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let zoo = try ZooFile.parse(text, file: "fuzz.yml", name: "fuzz")
        _ = zoo.entries.map(\.name)
    } catch {
        _ = "\(error)"
    }
    do {
        let config = try ExperimentConfig.parse(text, file: "fuzz.yml")
        for epoch in [0, config.totalEpochs - 1] { _ = config.lrSchedule.learningRate(base: config.optimizer.lr, epoch: epoch) }
        let sample = PoseSample(frameDirectory: "one", label: 0, totalFrames: 1, keypoint: [1, 2, 3], keypointShape: [1, 1, 1, 3], keypointScore: nil)
        let input = PosePipeline(config.testPipeline).apply(sample)
        precondition(input.storage.allSatisfy(\.isFinite), "a parsed config's pipeline makes NaN or infinity from finite input")
    } catch {
        _ = "\(error)"
    }
    return 0
}

@_cdecl("ConfigFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    let dictionary = FuzzDriver.packageFile("Dictionaries/yaml.dict").map { ["-dict=\($0)"] } ?? []
    return FuzzDriver.main(argc, argv, extraDefaults: dictionary, writeSeeds: writeSeeds, fuzz)
}

/// `fixtures` is unused: the YAML inputs are the repository's own zoo and configs, embedded in ZooConfig.
func writeSeeds(fixtures: URL, corpus: URL) throws {
    let paths = ZooSources.embeddedConfigPaths + ["zoo/demo.yml", "zoo/stgcn.yml"]
    for path in paths {
        guard let text = ZooSources.embeddedText(path) else { throw SeedError("no embedded \(path)") }
        try Seeds.write(Array(text.utf8), named: path.replacingOccurrences(of: "/", with: "-"), into: corpus)
    }
}
