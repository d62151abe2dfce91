// Feeds arbitrary bytes to MMAction2 annotation loading, 0.x and 1.x (every split the file names, at most two),
// and runs each sample through the test pipelines of a 2D and a 3D config up to the model input (C, T, V, M).
// Oracles beyond "no crash": the model input has the shape the pipeline promises and holds only finite numbers.
// Seeds: every fixture annotation pickle, and small synthetic 0.x and 1.x files.
import Foundation
import FuzzSupport
import ZooConfig
import ZooPose
import ZooTensor
import ZooTorch

/// The test pipelines of one 2D (coco, PoseNormalize) and one 3D (ntu) embedded config.
let pipelines: [PosePipeline] = ["configs/stgcn/stgcn_80e_ntu60_xsub_keypoint.yml",
                                                      "configs/stgcn/stgcn_80e_ntu60_xsub_keypoint_3d.yml"].map { path in
    guard let text = ZooSources.embeddedText(path), let config = try? ExperimentConfig.parse(text, file: path) else {
        fatalError("fuzz setup: embedded config \(path) is missing or does not parse")
    }
    return PosePipeline(config.testPipeline)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var splits: [String?] = [nil]
    if case .dict(let root)? = try? Unpickler.load(bytes), let names = root["split"]?.dictionary?.keys {
        splits = names.prefix(2).map { $0 }
    }
    for split in splits {
        do {
            let (_, samples) = try AnnotationFile.load(bytes: bytes, file: "fuzz.pkl", split: split)
            for sample in samples.prefix(4) {
                for pipeline in pipelines { check(pipeline.apply(sample), for: sample, pipeline: pipeline) }
            }
        } catch {
            _ = "\(error)"
        }
    }
    return 0
}

func check(_ input: Tensor, for sample: PoseSample, pipeline: PosePipeline) {
    var frames = sample.totalFrames, persons = 0
    for step in pipeline.steps {
        if case .paddingWithLoop(let clipLength, _) = step { frames = clipLength }
        if case .formatGCNInput(_, let numPerson) = step { persons = numPerson }
    }
    let channels = sample.coordinates + (sample.keypointScore == nil ? 0 : 1)
    precondition(input.shape == [channels, frames, sample.joints, persons], "model input \(input.shape) for sample \(sample.keypointShape)")
    precondition(input.storage.allSatisfy(\.isFinite), "model input holds NaN or infinity")
}

@_cdecl("AnnotationFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzDriver.main(argc, argv, extraDefaults: ["-max_len=\(FuzzDriver.maxInputBytes)"], writeSeeds: writeSeeds, fuzz)
}

func writeSeeds(fixtures: URL, corpus: URL) throws {
    for url in try Seeds.files(under: fixtures, endingIn: [".pkl"]) {
        try Seeds.write(Seeds.read(url), named: Seeds.name(of: url, under: fixtures), into: corpus)
    }
    // Two samples of 3 frames (2D coco with scores, 3D ntu without), in both formats.
    for (layout, persons) in [("coco", 2), ("ntu-rgb+d", 1)] {
        let recipe = SyntheticRecipe(layout: layout, classes: 2, trainCount: 1, valCount: 1, frames: 3, persons: persons, seed: 7)
        for format in [AnnotationFile.Format.v0x, .v1x] {
            let folder = FileManager.default.temporaryDirectory.appending(path: "skelzoo-seeds-\(getpid())")
            defer { try? FileManager.default.removeItem(at: folder) }
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let files = try SyntheticSkeletons.write(recipe, to: folder, format: format) { data, url in try data.write(to: url) }
            for file in files {
                try Seeds.write(Seeds.read(file), named: "synthetic-\(layout)-\(format.rawValue)-\(file.lastPathComponent)", into: corpus)
            }
        }
    }
}
