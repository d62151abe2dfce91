import Foundation
import Testing
import ZooTestSupport

/// Issue 11, section 3: `train` and `reproduce` under bad data, shared work dirs and unwritable places.
@Suite(.serialized) struct RunFailureTests {
    // Scenario 1: a label >= num_classes crashed `train` (SIGILL) and left the run "running".
    @Test func aLabelAboveNumClassesIsAnErrorAndTheRunIsRecordedFailed() throws {
        let dir = Fixtures.temporaryDirectory("cli-label")
        let zoo = try ReproduceCommandTests.zoo(in: dir, reference: nil, top1: "50.00")
        let root = dir.appending(path: "data")
        try FileManager.default.createDirectory(at: root.appending(path: "tiny"), withIntermediateDirectories: true)
        // The fixture's labels go up to 59; the tiny config has 3 classes.
        for name in ["train.pkl", "val.pkl"] {
            try FileManager.default.copyItem(at: Fixtures.url("ann/coco2d_0x.pkl"), to: root.appending(path: "tiny/\(name)"))
        }
        let home = dir.appending(path: "home").path
        let result = try Fixtures.runSkelzoo(["train", "tiny_demo", "--seed", "0", "--zoo", zoo.path, "--home", home, "--data-root", root.path,
                                              "--work-dir", dir.appending(path: "work").path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: \(root.path)/tiny/train.pkl: sample "), "\(result.stderr)")
        #expect(result.stderr.contains("the model has 3 classes"))
        let show = try Fixtures.runSkelzoo(["show", "tiny_demo", "--zoo", zoo.path, "--home", home])
        #expect(show.stdout.contains("train seed=0 failed"), "\(show.stdout)")
    }

    // Scenario 16: an unwritable --work-dir printed a raw NSError and stored it in the registry.
    @Test func aWorkDirBelowAFileIsAClearErrorAndAClearRecord() throws {
        let dir = Fixtures.temporaryDirectory("cli-workdir")
        let zoo = try ReproduceCommandTests.zoo(in: dir, reference: nil, top1: "50.00")
        let (file, below) = try FailureTests.belowAFile()
        let home = dir.appending(path: "home").path
        let result = try Fixtures.runSkelzoo(["train", "tiny_demo", "--seed", "0", "--zoo", zoo.path, "--home", home,
                                              "--data-root", dir.appending(path: "data").path, "--work-dir", below.path])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: cannot create folder \(below.path): \(file.path) is a file, not a folder"), "\(result.stderr)")
        FailureTests.expectNoRawFoundationError(result.stderr)
        let show = try Fixtures.runSkelzoo(["show", "tiny_demo", "--zoo", zoo.path, "--home", home, "--json"])
        #expect(show.stdout.contains("is a file, not a folder"))
        FailureTests.expectNoRawFoundationError(show.stdout, "the registry's message")
    }

    // Scenario 6: a failure while generating synthetic data under `reproduce` was reported as "skipped", exit 0.
    @Test func aDataGenerationFailureUnderReproduceIsAFailure() throws {
        let dir = Fixtures.temporaryDirectory("cli-gen")
        let zoo = try ReproduceCommandTests.zoo(in: dir, reference: nil, top1: "50.00")
        let (file, below) = try FailureTests.belowAFile()
        let result = try Fixtures.runSkelzoo(["reproduce", "--zoo", zoo.path, "--home", dir.appending(path: "home").path, "--data-root", below.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("tiny_demo: failed — "), "\(result.stdout)")
        #expect(result.stdout.contains("\(file.path) is a file, not a folder"))
        #expect(result.stdout.hasSuffix("summary: 0 reproduced, 0 differ, 0 skipped, 1 failed\n"))
    }

    // Scenario 3: two `train` runs into one --work-dir both exited 0 with mixed files.
    @Test func aSecondTrainIntoABusyWorkDirIsRefused() throws {
        let dir = Fixtures.temporaryDirectory("cli-two-train")
        let config = dir.appending(path: "tiny.yml")
        try Data(TinyConfig.cli.utf8).write(to: config)
        let work = dir.appending(path: "work")
        let root = dir.appending(path: "data").path
        let first = Process()
        first.executableURL = Fixtures.skelzooBinary
        first.arguments = ["train", config.path, "--seed", "0", "--work-dir", work.path, "--data-root", root, "--threads", "1"]
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        let log = work.appending(path: "log.jsonl")
        let deadline = Date().addingTimeInterval(120)
        while first.isRunning && Date() < deadline && ((try? String(contentsOf: log, encoding: .utf8))?.contains("\"iter\":2,") != true) { usleep(2000) }
        #expect(first.isRunning, "the first run should still be training")
        let second = try Fixtures.runSkelzoo(["train", config.path, "--seed", "1", "--work-dir", work.path, "--data-root", root])
        first.waitUntilExit()
        #expect(second.status == 1)
        #expect(second.stderr.hasPrefix("error: work dir \(work.path) is in use by another skelzoo process (pid \(first.processIdentifier))"))
        #expect(first.terminationStatus == 0)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: work.appending(path: "result.json"))) as? [String: Any])
        #expect(result["seed"] as? Int == 0, "the work dir holds the first run's result only")
    }

    // Scenario 2: a second `reproduce` of one entry deleted the first one's work dir.
    @Test func aSecondReproduceOfARunningEntryFailsWithoutTouchingTheFirst() throws {
        let dir = Fixtures.temporaryDirectory("cli-two")
        let zoo = try ReproduceCommandTests.zoo(in: dir, reference: nil, top1: "50.00")
        let home = dir.appending(path: "home")
        let first = Process()
        first.executableURL = Fixtures.skelzooBinary
        first.arguments = ["reproduce", "--zoo", zoo.path, "--home", home.path, "--threads", "1"]
        let firstOut = Pipe()
        first.standardOutput = firstOut
        first.standardError = FileHandle.nullDevice
        try first.run()
        let log = home.appending(path: "runs/tiny_demo/seed0/log.jsonl")
        let deadline = Date().addingTimeInterval(120)
        while first.isRunning && Date() < deadline && ((try? String(contentsOf: log, encoding: .utf8))?.contains("\"iter\":2,") != true) { usleep(2000) }
        #expect(first.isRunning, "the first run should still be training")
        let second = try Fixtures.runSkelzoo(["reproduce", "--zoo", zoo.path, "--home", home.path])
        #expect(second.status == 1)
        #expect(second.stdout.contains("tiny_demo: failed — seed 0: work dir \(home.path)/runs/tiny_demo/seed0 is in use by another skelzoo process (pid \(first.processIdentifier))"),
                "\(second.stdout)")
        let firstText = String(decoding: firstOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        first.waitUntilExit()
        #expect(!firstText.contains("tiny_demo: failed"), "\(firstText)")
        #expect(firstText.hasSuffix(" skipped, 0 failed\n"), "\(firstText)")
        #expect(FileManager.default.fileExists(atPath: home.appending(path: "runs/tiny_demo/seed0/result.json").path))
        #expect(FileManager.default.fileExists(atPath: home.appending(path: "runs/tiny_demo/seed0/epoch_4.pth").path))
        // The refused invocation recorded no run, so the report shows the first one's result.
        let out = dir.appending(path: "reports")
        #expect(try Fixtures.runSkelzoo(["report", "--zoo", zoo.path, "--home", home.path, "--out", out.path]).status == 0)
        let markdown = try String(contentsOf: out.appending(path: "README.md"), encoding: .utf8)
        #expect(markdown.contains("| tiny_demo | Top 1 Accuracy | 50.00 (reference run) | "))
        #expect(!markdown.contains("| tiny_demo | Top 1 Accuracy | 50.00 (reference run) | failed"))
    }
}
