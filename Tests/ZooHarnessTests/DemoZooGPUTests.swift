import Foundation
import Testing
import ZooConfig
import ZooHarness
import ZooIO
import ZooPose
import ZooRunner
import ZooTestSupport

/// `--gpus 2` on the demo zoo's own entries (their configs and synthetic data, cut to one epoch over the first 48
/// training clips so that a debug build stays within seconds: two steps of 2 GPUs x 16, the second short): the
/// same bits with 1 and 2 threads, and after a stop mid-epoch and a resume from latest.pth. (The command-line test
/// with SIGKILL and --resume runs on a tiny config: RecipeCommandTests.)
@Suite(.serialized) struct DemoZooGPUTests {
    static func train(_ config: ExperimentConfig, hash: String, name: String, train: [PoseSample], val: [PoseSample], threads: Int,
                      directory: URL, resume: Bool = false, stop: StopRequest? = nil, stopAfter: Int = .max) throws -> TrainingResult {
        var setup = TrainingSetup(config: config, configHash: hash, configName: name, seed: 0, threads: threads, workDirectory: directory,
                                  resume: resume, validate: false, gpus: 2)
        setup.stopRequest = stop
        var iterations = 0
        return try Trainer(setup, train: train, val: val).run { event in
            if case .iteration = event {
                iterations += 1
                if iterations == stopAfter { stop?.request() }
            }
        }
    }

    @Test(arguments: ["demo_stgcn_coco2d_ce", "demo_stgcn_ntu3d_cbfocal"])
    func twoGPUsGiveTheSameBitsAcrossThreadsAndAStopAndResume(_ name: String) throws {
        let dir = Fixtures.temporaryDirectory("demo-gpus")
        let context = try ZooContext(home: dir.appending(path: "home"))
        let entry = try context.entry(named: name)
        let (text, origin) = try context.sources.configText(for: entry)
        var config = try ExperimentConfig.parse(text, file: origin)
        config.totalEpochs = 1
        let hash = Hashing.sha256(Data(text.utf8)) + "-1-epoch"
        let files = try DataResolver(root: dir.appending(path: "data")).annotationFiles(for: config, entryName: name)
        let train = Array(try AnnotationFile.load(files.train).samples.prefix(48))
        let val = Array(try AnnotationFile.load(files.val).samples.prefix(1))

        let one = try Self.train(config, hash: hash, name: name, train: train, val: val, threads: 1, directory: dir.appending(path: "t1"))
        let two = try Self.train(config, hash: hash, name: name, train: train, val: val, threads: 2, directory: dir.appending(path: "t2"))
        #expect(one.weightsSHA256 == two.weightsSHA256)
        #expect(one.gpus == 2)

        let stopped = dir.appending(path: "stopped")
        #expect(throws: RunnerError.self) {
            _ = try Self.train(config, hash: hash, name: name, train: train, val: val, threads: 2, directory: stopped, stop: StopRequest(), stopAfter: 1)
        }
        let resumed = try Self.train(config, hash: hash, name: name, train: train, val: val, threads: 1, directory: stopped, resume: true)
        #expect(resumed.weightsSHA256 == one.weightsSHA256)
    }
}
