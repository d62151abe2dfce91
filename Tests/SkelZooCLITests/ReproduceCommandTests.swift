import Foundation
import Testing
import ZooTestSupport

@Suite struct ReproduceCommandTests {
    /// A zoo with one tiny synthetic entry whose config sits beside it, and its reference run.
    static func zoo(in dir: URL, reference: String?, top1: String) throws -> URL {
        try FileManager.default.createDirectory(at: dir.appending(path: "configs"), withIntermediateDirectories: true)
        try Data(TinyConfig.cli.utf8).write(to: dir.appending(path: "configs/tiny.yml"))
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
        try Data(TinyConfig.cli.utf8).write(to: config)
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
        // The tiny entry's published number is its own reference run; the built-in STGCN entries' are MMAction2's.
        let own = try #require(markdown.range(of: "## SkelZoo's own reference runs"))
        let others = try #require(markdown.range(of: "## Numbers published by others"))
        #expect(markdown[own.upperBound...].contains("| tiny_demo |") && markdown[others.upperBound..<own.lowerBound].contains("| stgcn_80e_babel120_wfl |"))
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
