import Foundation
import Testing
import ZooTestSupport

@Suite(.serialized) struct CLITests {
    static func golden(_ name: String) throws -> String {
        try String(contentsOf: Fixtures.repositoryRoot.appending(path: "Tests/SkelZooCLITests/Golden/\(name)"), encoding: .utf8)
    }

    @Test func listMatchesTheGoldenFile() throws {
        let home = Fixtures.temporaryDirectory()
        let result = try Fixtures.runSkelzoo(["list", "--home", home.path], currentDirectory: FileManager.default.temporaryDirectory)
        #expect(result.status == 0)
        #expect(result.stdout == (try Self.golden("list.txt")))
    }

    @Test func listJSONHasEveryEntry() throws {
        let home = Fixtures.temporaryDirectory()
        let result = try Fixtures.runSkelzoo(["list", "--home", home.path, "--json", "--dataset", "babel-60"])
        #expect(result.status == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["name"] as? String } == ["stgcn_80e_babel60", "stgcn_80e_babel60_wfl"])
        #expect(rows.map { $0["mean_class_accuracy"] as? String } == ["28.28", "29.79"])
        #expect(rows.allSatisfy { $0["checkpoint"] as? String == "absent" })
    }

    @Test func unknownEntrySuggestsClosestNames() throws {
        let result = try Fixtures.runSkelzoo(["show", "stgcn_80e_babel12", "--home", Fixtures.temporaryDirectory().path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("error: unknown zoo entry 'stgcn_80e_babel12'"))
        #expect(result.stderr.contains("'stgcn_80e_babel120'"))
    }

    @Test func showPrintsScoresSourcesFootnoteAndOurParameterCount() throws {
        let result = try Fixtures.runSkelzoo(["show", "stgcn_80e_babel120_wfl", "--home", Fixtures.temporaryDirectory().path])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Mean Top 1 Accuracy: 26.17*"))
        #expect(result.stdout.contains("* Copied from the BABEL paper"))
        #expect(result.stdout.contains("Parameters (SkelZoo model): 3114252"))
        #expect(result.stdout.contains("stgcn_80e_babel120_wfl-3f2c100d.pth"))
    }

    @Test func malformedZooFileIsAOneLineErrorWithFileAndLine() throws {
        let dir = Fixtures.temporaryDirectory()
        let file = dir.appending(path: "broken.yml")
        try Data("Collections:\n  - Name: [oops\n".utf8).write(to: file)
        let result = try Fixtures.runSkelzoo(["list", "--home", dir.appending(path: "home").path, "--zoo", file.path])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: \(file.path):"))
        #expect(result.stderr.contains("malformed YAML"))
    }

    @Test func twoProcessesStartedAtOnceBothSucceed() throws {
        let home = Fixtures.temporaryDirectory().path
        let processes = (0..<4).map { _ -> Process in
            let process = Process()
            process.executableURL = Fixtures.skelzooBinary
            process.arguments = ["list", "--home", home, "--json"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            return process
        }
        for process in processes { try process.run() }
        for process in processes { process.waitUntilExit() }
        #expect(processes.map(\.terminationStatus) == [0, 0, 0, 0])
    }

    @Test(arguments: ["", "list", "show"]) func everyCommandHasHelpWithAnExample(_ command: String) throws {
        let result = try Fixtures.runSkelzoo((command.isEmpty ? [] : [command]) + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Examples:"))
    }
}

@Suite struct TestCommandTests {
    @Test func testReproducesTheFixtureLogitsAndMetrics() throws {
        let dir = Fixtures.temporaryDirectory()
        let out = dir.appending(path: "result.json")
        let result = try Fixtures.runSkelzoo([
            "test", "stgcn_80e_ntu60_xsub_keypoint_3d", Fixtures.url("v2_ntu60/checkpoint.pth").path,
            "--ann-file", Fixtures.url("ann/ntu3d_0x.pkl").path, "--out", out.path, "--batch-size", "3", "--home", dir.path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        // Metrics from the fixture logits with MMAction2's definitions: top5 hits labels 0 and 7 (2 of 8).
        #expect(result.stdout == "top1_acc: 0.0000\ntop5_acc: 0.2500\nmean_class_accuracy: 0.0000\n")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
        let metrics = try #require(json["metrics"] as? [String: Double])
        #expect(metrics["top5_acc"] == 0.25)
        let samples = try #require(json["samples"] as? [[String: Any]])
        #expect(samples.map { $0["frame_dir"] as? String }.count == 8)
        let scores = samples.flatMap { ($0["scores"] as? [Double] ?? []).map(Float.init) }
        expectClose(scores, try FixtureTensor.load("ann/pipeline_ntu3d/logits_v2_ntu60").floats, "logits")
        // The run is recorded.
        let show = try Fixtures.runSkelzoo(["show", "stgcn_80e_ntu60_xsub_keypoint_3d", "--home", dir.path])
        #expect(show.stdout.contains("eval seed=- succeeded"))
    }

    @Test func aCheckpointForAnotherLayoutIsAClearError() throws {
        let result = try Fixtures.runSkelzoo([
            "test", "stgcn_80e_ntu60_xsub_keypoint", Fixtures.url("v2_ntu60/checkpoint.pth").path,
            "--ann-file", Fixtures.url("ann/coco2d_0x.pkl").path, "--home", Fixtures.temporaryDirectory().path,
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("backbone.A expected [3, 17, 17], found [3, 25, 25]"))
        #expect(result.stderr.contains("hint: check that the config"))
    }

    @Test func aTruncatedCheckpointIsAClearError() throws {
        let dir = Fixtures.temporaryDirectory()
        let truncated = dir.appending(path: "half.pth")
        let full = try Data(contentsOf: Fixtures.url("v1_coco60/checkpoint.pth"))
        try full.prefix(full.count / 3).write(to: truncated)
        let result = try Fixtures.runSkelzoo(["test", "stgcn_80e_ntu60_xsub_keypoint", truncated.path,
                                              "--ann-file", Fixtures.url("ann/coco2d_0x.pkl").path, "--home", dir.path])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: \(truncated.path): damaged or unsupported zip archive"))
    }

    @Test func twoDimensionalDataOnAThreeDimensionalModelNamesTheMismatch() throws {
        let result = try Fixtures.runSkelzoo(["test", "stgcn_80e_ntu60_xsub_keypoint_3d", Fixtures.url("v2_ntu60/checkpoint.pth").path,
                                              "--ann-file", Fixtures.url("ann/coco2d_0x.pkl").path, "--home", Fixtures.temporaryDirectory().path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("has 17 joints, the ntu-rgb+d layout has 25"))
    }
}

@Suite struct TrainCommandTests {
    static let tiny = """
    model:
      type: SkeletonGCN
      backbone: {type: STGCN, in_channels: 3, edge_importance_weighting: true, data_bn: true, dropout: 0.1,
                 channels: [8, 8, 16], strides: [1, 2, 1], graph_cfg: {layout: coco, strategy: spatial, max_hop: 1, dilation: 1}}
      cls_head: {type: STGCNHead, num_classes: 3, in_channels: 16, num_person: 2, spatial_type: avg, init_std: 0.01,
                 loss_cls: {type: CrossEntropyLoss, loss_weight: 1.0}}
      train_cfg: null
      test_cfg: null
    synthetic: {layout: coco, classes: 3, train: 96, val: 12, frames: 24, persons: 2, seed: 0, imbalance: 1.0}
    dataset_type: PoseDataset
    ann_file_train: tiny/train.pkl
    ann_file_val: tiny/val.pkl
    train_pipeline: &p
      - {type: PaddingWithLoop, clip_len: 24, num_clips: 1}
      - {type: PoseDecode}
      - {type: FormatGCNInput, input_format: NCTVM, num_person: 2}
      - {type: PoseNormalize, mean: [960.0, 540.0, 0.5], min_value: [0.0, 0.0, 0.0], max_value: [1920.0, 1080.0, 1.0]}
      - {type: Collect, keys: [keypoint, label], meta_keys: []}
      - {type: ToTensor, keys: [keypoint]}
    val_pipeline: *p
    test_pipeline: *p
    data:
      videos_per_gpu: 4
      workers_per_gpu: 2
      test_dataloader: {videos_per_gpu: 1}
      train: {type: PoseDataset, ann_file: tiny/train.pkl, data_prefix: '', pipeline: *p}
      val: {type: PoseDataset, ann_file: tiny/val.pkl, data_prefix: '', pipeline: *p}
      test: {type: PoseDataset, ann_file: tiny/val.pkl, data_prefix: '', pipeline: *p}
    optimizer: {type: SGD, lr: 0.03, momentum: 0.9, weight_decay: 0.0001, nesterov: true}
    optimizer_config: {grad_clip: null}
    lr_config: {policy: step, step: [3], gamma: 0.1, by_epoch: true}
    total_epochs: 4
    checkpoint_config: {interval: 2}
    evaluation: {interval: 2, metrics: [top_k_accuracy], topk: [1, 5]}
    log_config: {interval: 100}
    work_dir: ./work_dirs/tiny/
    load_from: null
    resume_from: null

    """

    static func weights(_ directory: URL) throws -> String? {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appending(path: "result.json"))) as? [String: Any]
        return json?["weights_sha256"] as? String
    }

    static func trainLines(_ directory: URL) throws -> [String] {
        (try String(contentsOf: directory.appending(path: "log.jsonl"), encoding: .utf8)).split(separator: "\n")
            .map { $0.replacingOccurrences(of: #""time":[0-9.e-]+,?"#, with: "", options: .regularExpression) }
    }

    /// Kills `skelzoo train` with SIGKILL once `ready` holds (or it exits), then resumes it to the end.
    static func killAndResume(config: URL, root: URL, when ready: @escaping (URL) -> Bool) throws -> URL {
        let work = Fixtures.temporaryDirectory("kill")
        let process = Process()
        process.executableURL = Fixtures.skelzooBinary
        process.arguments = ["train", config.path, "--seed", "3", "--work-dir", work.path, "--data-root", root.path, "--threads", "2"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && !ready(work) && Date() < deadline { usleep(2000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // It really died by SIGKILL, before finishing (otherwise the resume below proves nothing).
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL,
                "train ended by itself (status \(process.terminationStatus)) before it was killed")
        #expect(!FileManager.default.fileExists(atPath: work.appending(path: "result.json").path))
        let resumed = try Fixtures.runSkelzoo(["train", config.path, "--seed", "3", "--work-dir", work.path, "--data-root", root.path,
                                               "--threads", "1", "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        return work
    }

    @Test func aRunKilledWithSIGKILLAndResumedGivesTheSameBits() throws {
        let dir = Fixtures.temporaryDirectory("train-cli")
        let config = dir.appending(path: "tiny.yml")
        try Data(Self.tiny.utf8).write(to: config)
        let root = dir.appending(path: "data")
        let straightDir = dir.appending(path: "straight")
        let straight = try Fixtures.runSkelzoo(["train", config.path, "--seed", "3", "--work-dir", straightDir.path, "--data-root", root.path, "--threads", "2"])
        #expect(straight.status == 0, "\(straight.stderr)")
        #expect(straight.stdout.contains("weights_sha256: "))
        let expected = try Self.weights(straightDir)
        // Killed before the first checkpoint, mid-epoch after one, and mid-epoch after several.
        let points: [(String, (URL) -> Bool)] = [
            ("before any checkpoint", { (try? String(contentsOf: $0.appending(path: "log.jsonl"), encoding: .utf8))?.contains("\"iter\":3,") == true }),
            ("after epoch 1", { FileManager.default.fileExists(atPath: $0.appending(path: "latest.pth").path) }),
            ("in epoch 3", { (try? String(contentsOf: $0.appending(path: "log.jsonl"), encoding: .utf8))?.contains("\"iter\":55,") == true }),
        ]
        for (label, ready) in points {
            let work = try Self.killAndResume(config: config, root: root, when: ready)
            #expect(try Self.weights(work) == expected, "killed \(label)")
            #expect(try Self.trainLines(work) == Self.trainLines(straightDir), "killed \(label)")
        }
    }

    @Test func missingDataSaysWhereItLookedAndHowToGetIt() throws {
        let dir = Fixtures.temporaryDirectory("train-nodata")
        let result = try Fixtures.runSkelzoo(["train", "stgcn_80e_babel60", "--seed", "0", "--home", dir.path, "--work-dir", dir.appending(path: "w").path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no annotation file at \(dir.path)/data/babel/babel60_train.pkl"))
        #expect(result.stderr.contains("hint: get it with `skelzoo download stgcn_80e_babel60 --data`"))
    }
}

@Suite struct ReproduceCommandTests {
    /// A zoo with one tiny synthetic entry whose config sits beside it, and its reference run.
    static func zoo(in dir: URL, reference: String?, top1: String) throws -> URL {
        try FileManager.default.createDirectory(at: dir.appending(path: "configs"), withIntermediateDirectories: true)
        try Data(TrainCommandTests.tiny.utf8).write(to: dir.appending(path: "configs/tiny.yml"))
        var yaml = """
        Collections: [{Name: Tiny}]
        Models:
          - Name: tiny_demo
            Config: configs/tiny.yml
            In Collection: Tiny
            Metadata: {Keypoint: 2d}
            Results:
              - {Dataset: Synthetic, Task: Skeleton-based Action Recognition, Source: reference run, Metrics: {Top 1 Accuracy: "\(top1)"}}

        """
        if let reference {
            yaml += "    Reference Run: {Seed: 3, Weights SHA256: \(reference), Arithmetic: portable-1, CPU: test, ISA: scalar, Threads: 2}\n"
        }
        let file = dir.appending(path: "tiny-zoo.yml")
        try Data(yaml.utf8).write(to: file)
        return file
    }

    static func referenceRun(_ dir: URL) throws -> (sha: String, top1: String) {
        let config = dir.appending(path: "ref.yml")
        try Data(TrainCommandTests.tiny.utf8).write(to: config)
        let work = dir.appending(path: "ref")
        // Recorded with the scalar kernel; the reruns below use the CPU's fastest ISA and must match it bit for bit.
        let result = try Fixtures.runSkelzoo(["train", config.path, "--seed", "3", "--work-dir", work.path, "--data-root", dir.appending(path: "refdata").path],
                                             environment: ["SKELZOO_ISA": "scalar"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: work.appending(path: "result.json"))) as? [String: Any])
        let metrics = try #require(json["metrics"] as? [String: Double])
        return (try #require(json["weights_sha256"] as? String), String(format: "%.2f", try #require(metrics["top1_acc"]) * 100))
    }

    @Test func aTinyEntryReproducesBitForBitAndTheReportSaysSo() throws {
        let dir = Fixtures.temporaryDirectory("reproduce")
        let (sha, top1) = try Self.referenceRun(dir)
        let zoo = try Self.zoo(in: dir, reference: sha, top1: top1)
        let home = dir.appending(path: "home").path
        let run = try Fixtures.runSkelzoo(["reproduce", "--zoo", zoo.path, "--home", home])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("tiny_demo: reproduces bit-for-bit"))
        #expect(run.stdout.hasSuffix("summary: 1 reproduced, 0 differ, 0 skipped, 0 failed\n"))
        let out = dir.appending(path: "reports")
        #expect(try Fixtures.runSkelzoo(["report", "--zoo", zoo.path, "--home", home, "--out", out.path]).status == 0)
        let markdown = try String(contentsOf: out.appending(path: "README.md"), encoding: .utf8)
        #expect(markdown.contains("| tiny_demo | Top 1 Accuracy | \(top1) (reference run) | \(top1) ± 0.00 (n=1) | +0.00 | reproduces bit-for-bit |"))
        #expect(markdown.contains("| stgcn_80e_babel120_wfl | Mean Top 1 Accuracy | 26.17[^stgcn-1]"))
        let details = try String(contentsOf: out.appending(path: "runs/tiny_demo.md"), encoding: .utf8)
        #expect(details.contains("weights_sha256 | `\(sha)`"))
        #expect(details.contains("| arithmetic | portable-1 |"))
        // The recipe it ran and the data it read (issue 16): GPUs, the splits' hashes and fingerprints, the val = test warning.
        #expect(details.contains("| GPUs (emulated data parallel) | 1 x 4 = total batch 4 |"))
        #expect(details.contains("| data train | 96 samples, 3 classes; file `train.pkl` sha256 `"))
        #expect(details.contains("| data test | 12 samples, 3 classes; file `val.pkl` sha256 `"))
        #expect(details.contains("| data warning | validation and test are the same split (12 samples, fingerprint "))
        #expect(run.stderr.contains("tiny_demo: warning: validation and test are the same split"))
        #expect(FileManager.default.fileExists(atPath: out.appending(path: "runs/tiny_demo-curves.svg").path))
        // On OpenBLAS the bits are not comparable with a portable reference, and the verdict says so.
        let openBLAS = try Fixtures.runSkelzoo(["reproduce", "--zoo", zoo.path, "--home", home, "--backend", "openblas"])
        #expect(openBLAS.status == 1)
        #expect(openBLAS.stdout.contains("tiny_demo: bits not comparable (run: openblas/"))
        // Forcing an ISA the CPU lacks, or an unknown one, is a clear error.
        let unknown = try Fixtures.runSkelzoo(["reproduce", "--zoo", zoo.path, "--home", home, "--isa", "sse9"])
        #expect(unknown.status == 1 && unknown.stderr.contains("unknown ISA 'sse9'"))
        // The same run against a wrong reference differs, and the exit code says so.
        let wrong = try Self.zoo(in: dir, reference: String(repeating: "0", count: 64), top1: top1)
        let differs = try Fixtures.runSkelzoo(["reproduce", "--zoo", wrong.path, "--home", home])
        #expect(differs.status == 1)
        #expect(differs.stdout.contains("tiny_demo: differs (bits); scores reproduce"))
    }

    @Test func entriesThatCannotRunHereAreSkippedWithTheirFix() throws {
        let home = Fixtures.temporaryDirectory("reproduce-skip")
        let run = try Fixtures.runSkelzoo(["reproduce", "stgcn_80e_ntu60_xsub_keypoint", "--home", home.path, "--json"])
        #expect(run.status == 0)
        let outcomes = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        #expect(outcomes.first?["status"] as? String == "skipped")
        #expect(outcomes.first?["fix"] as? String == "skelzoo download stgcn_80e_ntu60_xsub_keypoint")
        let train = try Fixtures.runSkelzoo(["reproduce", "stgcn_80e_babel60", "--mode", "train", "--home", home.path])
        #expect(train.status == 0)
        #expect(train.stdout.contains("stgcn_80e_babel60: skipped — training annotations data/babel/babel60_train.pkl not found under the data root"))
    }

    @Test func aRunKilledMidwayIsReportedAsFailed() throws {
        let dir = Fixtures.temporaryDirectory("reproduce-kill")
        let zoo = try Self.zoo(in: dir, reference: nil, top1: "50.00")
        let home = dir.appending(path: "home")
        let process = Process()
        process.executableURL = Fixtures.skelzooBinary
        process.arguments = ["reproduce", "--zoo", zoo.path, "--home", home.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let log = home.appending(path: "runs/tiny_demo/seed0/log.jsonl")
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline && ((try? String(contentsOf: log, encoding: .utf8))?.contains("\"iter\":5,") != true) { usleep(2000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // Issue 11, scenario 8: `show` says the run crashed, as `report` does, instead of "running" forever.
        let show = try Fixtures.runSkelzoo(["show", "tiny_demo", "--zoo", zoo.path, "--home", home.path])
        #expect(show.stdout.contains("train seed=0 crashed (its process \(process.processIdentifier) is gone"), "\(show.stdout)")
        let json = try Fixtures.runSkelzoo(["show", "tiny_demo", "--zoo", zoo.path, "--home", home.path, "--json"])
        #expect(json.stdout.contains("\"crashed\" : true"), "\(json.stdout)")
        let out = dir.appending(path: "reports")
        #expect(try Fixtures.runSkelzoo(["report", "--zoo", zoo.path, "--home", home.path, "--out", out.path]).status == 0)
        let markdown = try String(contentsOf: out.appending(path: "README.md"), encoding: .utf8)
        #expect(markdown.contains("| tiny_demo | Top 1 Accuracy | 50.00 (reference run) | failed: the process died during the run (killed or crashed)"))
    }
}

@Suite struct DownloadCommandTests {
    static func zoo(in dir: URL, sha: String) throws -> URL {
        let yaml = """
        Collections: [{Name: Mirrored}]
        Models:
          - Name: fixture_coco60
            Config: configs/stgcn/stgcn_80e_ntu60_xsub_keypoint.yml
            In Collection: Mirrored
            Metadata: {Keypoint: 2d}
            Results:
              - {Dataset: NTU60-XSub, Task: Skeleton-based Action Recognition, Source: fixture, Metrics: {Top 1 Accuracy: "0.00"}}
            Weights: https://download.openmmlab.com/mmaction/skeleton/stgcn/fixture/checkpoint-\(sha.prefix(8)).pth
            Weights SHA256: \(sha)

        """
        let file = dir.appending(path: "mirrored.yml")
        try Data(yaml.utf8).write(to: file)
        return file
    }

    static func checkpoint() throws -> (bytes: [UInt8], sha: String) {
        let data = try Data(contentsOf: Fixtures.url("v1_coco60/checkpoint.pth"))
        let result = try Fixtures.runSkelzoo(["--version"])
        _ = result
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [Fixtures.url("v1_coco60/checkpoint.pth").path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let sha = String(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64))
        return ([UInt8](data), sha)
    }

    @Test func downloadVerifyAndFixAgainstALoopbackMirror() throws {
        let (bytes, sha) = try Self.checkpoint()
        let server = try LoopbackHTTPServer()
        let path = "/mmaction/skeleton/stgcn/fixture/checkpoint-\(sha.prefix(8)).pth"
        server.serve(path, bytes)
        let dir = Fixtures.temporaryDirectory("download")
        let zoo = try Self.zoo(in: dir, sha: sha)
        let home = dir.appending(path: "home").path
        let common = ["--zoo", zoo.path, "--home", home]
        let offline = try Fixtures.runSkelzoo(["download", "fixture_coco60", "--offline"] + common)
        #expect(offline.status == 1)
        #expect(offline.stdout.contains("offline mode is on"))
        let download = try Fixtures.runSkelzoo(["download", "fixture_coco60", "--mirror", server.baseURL] + common)
        #expect(download.status == 0, "\(download.stdout) \(download.stderr)")
        #expect(download.stdout.contains("downloaded, verified"))
        #expect(try Fixtures.runSkelzoo(["list", "--json"] + common).stdout.contains("\"checkpoint\" : \"verified\""))
        // Corrupt the cached file: verify says so and exits 1; --fix downloads it again.
        let cached = URL(fileURLWithPath: home).appending(path: "checkpoints/checkpoint-\(sha.prefix(8)).pth")
        var damaged = bytes
        damaged[1000] ^= 0xFF
        try Data(damaged).write(to: cached)
        let verify = try Fixtures.runSkelzoo(["verify", "fixture_coco60"] + common)
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("corrupt"))
        #expect(try Fixtures.runSkelzoo(["list", "--json"] + common).stdout.contains("\"checkpoint\" : \"corrupt\""))
        let fixed = try Fixtures.runSkelzoo(["verify", "fixture_coco60", "--fix", "--mirror", server.baseURL] + common)
        #expect(fixed.status == 0, "\(fixed.stdout)")
        #expect(try Data(contentsOf: cached) == Data(bytes))
        // The downloaded checkpoint is usable: test runs on it.
        let test = try Fixtures.runSkelzoo(["test", "fixture_coco60", cached.path, "--ann-file", Fixtures.url("ann/coco2d_0x.pkl").path] + common)
        #expect(test.status == 0, "\(test.stderr)")
    }

    @Test func aDownloadKilledWithSIGKILLIsResumedByTheNextRun() throws {
        let (bytes, sha) = try Self.checkpoint()
        let server = try LoopbackHTTPServer()
        let path = "/mmaction/skeleton/stgcn/fixture/checkpoint-\(sha.prefix(8)).pth"
        server.serve(path, bytes, faults: [.trickle(bytes: 512 * 1024, interval: 0.05)])
        let dir = Fixtures.temporaryDirectory("download-kill")
        let zoo = try Self.zoo(in: dir, sha: sha)
        let home = dir.appending(path: "home")
        let part = home.appending(path: "checkpoints/checkpoint-\(sha.prefix(8)).pth.part")
        let process = Process()
        process.executableURL = Fixtures.skelzooBinary
        process.arguments = ["download", "fixture_coco60", "--mirror", server.baseURL, "--zoo", zoo.path, "--home", home.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline
            && (((try? FileManager.default.attributesOfItem(atPath: part.path))?[.size] as? NSNumber)?.intValue ?? 0) < 2_000_000 { usleep(2000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(!FileManager.default.fileExists(atPath: String(part.path.dropLast(5))), "nothing half-written in place")
        let resumed = try Fixtures.runSkelzoo(["download", "fixture_coco60", "--mirror", server.baseURL, "--zoo", zoo.path, "--home", home.path])
        #expect(resumed.status == 0, "\(resumed.stdout)")
        #expect(server.ranges.contains { $0.contains("bytes=") && !$0.hasSuffix("bytes=0-") })
        #expect(server.requests(path) == 2)
    }
}
