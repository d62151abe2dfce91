import Foundation
import Testing
import ZooTestSupport

/// `skelzoo show` prints the published recipe; `train`/`reproduce --gpus` follow it or refuse bad input.
@Suite struct RecipeCommandTests {
    @Test func showPrintsTheNTU60KeypointRecipeAsTwoGPUsBySixteen() throws {
        let result = try Fixtures.runSkelzoo(["show", "stgcn_80e_ntu60_xsub_keypoint", "--home", Fixtures.temporaryDirectory().path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Published recipe:\n  GPUs: 2 GPUs x 16 per GPU = total batch 32  [metafile Training Resources (2 gpus)]\n"))
        #expect(result.stdout.contains("  launcher: slurm  ["))
        #expect(result.stdout.contains("(val and test are the same split)"))
        #expect(!result.stdout.contains("sources disagree"))
    }

    @Test func showSaysWhereTheBABELSourcesDisagree() throws {
        let result = try Fixtures.runSkelzoo(["show", "stgcn_80e_babel120_wfl", "--home", Fixtures.temporaryDirectory().path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("  GPUs: 8 GPUs x 16 per GPU = total batch 128"))
        #expect(result.stdout.contains("  sources disagree: the metafile's Batch Size 128 is the total (8 GPUs x 16); the config's videos_per_gpu is 16\n"))
        #expect(result.stdout.contains("  epochs: 16 x RepeatDataset 5 = 80 passes\n"))
    }

    @Test func showJSONCarriesTheRecipe() throws {
        let result = try Fixtures.runSkelzoo(["show", "demo_stgcn_ntu3d_cbfocal", "--json", "--home", Fixtures.temporaryDirectory().path])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let recipe = try #require(json["recipe"] as? [String: Any])
        #expect(recipe["gpus"] as? Int == 1)
        #expect(recipe["perGPUBatch"] as? Int == 16)
        #expect(recipe["repeatTimes"] as? Int == 2)
        #expect(recipe["launcher"] as? String == "none (one process)")
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        var id: String, arguments: [String], message: String
        var testDescription: String { id }
    }

    static let badInputs: [BadInput] = [
        .init(id: "train --gpus 0", arguments: ["train", "demo_stgcn_coco2d_ce", "--seed", "0", "--gpus", "0"], message: "--gpus must be at least 1 (got 0)"),
        .init(id: "train --gpus -2", arguments: ["train", "demo_stgcn_coco2d_ce", "--seed", "0", "--gpus=-2"], message: "--gpus must be at least 1 (got -2)"),
        .init(id: "train batch not divisible", arguments: ["train", "demo_stgcn_coco2d_ce", "--seed", "0", "--gpus", "2", "--total-batch", "15"],
              message: "--total-batch 15 is not divisible by --gpus 2: every GPU takes the same batch"),
        .init(id: "train --total-batch 0", arguments: ["train", "demo_stgcn_coco2d_ce", "--seed", "0", "--total-batch", "0"], message: "--total-batch must be at least 1 (got 0)"),
        .init(id: "reproduce --gpus 0", arguments: ["reproduce", "demo_stgcn_coco2d_ce", "--mode", "train", "--gpus", "0"], message: "--gpus must be at least 1 (got 0)"),
    ]

    @Test(arguments: badInputs) func badGPUArgumentsAreRefusedClearly(_ input: BadInput) throws {
        let result = try Fixtures.runSkelzoo(input.arguments + ["--home", Fixtures.temporaryDirectory().path])
        #expect(result.status == 64)
        #expect(result.stderr.contains(input.message), "\(result.stderr)")
    }

    @Test func aTotalBatchTheRecipesGPUCountDoesNotDivideIsRefused() throws {
        // stgcn_80e_babel60 publishes 8 GPUs; a total of 20 does not split over them. Refused before any data is read.
        let home = Fixtures.temporaryDirectory()
        let result = try Fixtures.runSkelzoo(["train", "stgcn_80e_babel60", "--seed", "0", "--total-batch", "20", "--home", home.path,
                                              "--data-root", Fixtures.temporaryDirectory().path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("--total-batch 20 is not divisible by 8 GPU(s) (the published recipe's count)"), "\(result.stderr)")
        #expect(!result.stderr.contains("no annotation file"))
    }

    /// `--gpus 2` from the command line: the same bits with 1 and 2 threads and after SIGKILL + --resume.
    @Test func twoGPUsGiveTheSameBitsAcrossThreadsAndAKill() throws {
        let dir = Fixtures.temporaryDirectory("train-gpus")
        let config = dir.appending(path: "tiny.yml")
        try Data(TinyConfig.cli.utf8).write(to: config)
        let root = dir.appending(path: "data")
        var hashes: [String] = []
        var logs: [[String]] = []
        for threads in ["1", "2"] {
            let work = dir.appending(path: "t\(threads)")
            let result = try Fixtures.runSkelzoo(["train", config.path, "--seed", "3", "--gpus", "2", "--work-dir", work.path, "--data-root", root.path,
                                                  "--threads", threads])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("data parallel: 2 emulated GPU(s) x 4 samples = total batch 8"))
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: work.appending(path: "result.json"))) as? [String: Any])
            #expect(json["gpus"] as? Int == 2 && json["per_gpu_batch"] as? Int == 4)
            // 96 samples over 2 GPUs x 4: 12 steps per epoch, 4 epochs.
            #expect(json["iterations"] as? Int == 48)
            hashes.append(try #require(try TrainCommandTests.weights(work)))
            logs.append(try TrainCommandTests.trainLines(work))
        }
        #expect(hashes[0] == hashes[1])
        #expect(logs[0] == logs[1])
        #expect(logs[0].contains { $0.contains("\"rank_loss\":[") })

        // Killed mid-epoch 3 (after epoch 2's checkpoint), then resumed with --gpus 2.
        let work = Fixtures.temporaryDirectory("kill-gpus")
        let process = Process()
        process.executableURL = Fixtures.skelzooBinary
        process.arguments = ["train", config.path, "--seed", "3", "--gpus", "2", "--work-dir", work.path, "--data-root", root.path, "--threads", "2"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && (try? String(contentsOf: work.appending(path: "log.jsonl"), encoding: .utf8))?.contains("\"iter\":30,") != true
            && Date() < deadline { usleep(2000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // Resuming on another GPU count is refused, naming the one it was trained on.
        let wrong = try Fixtures.runSkelzoo(["train", config.path, "--seed", "3", "--gpus", "1", "--work-dir", work.path, "--data-root", root.path, "--resume"])
        if FileManager.default.fileExists(atPath: work.appending(path: "latest.pth").path) {
            #expect(wrong.status == 1)
            #expect(wrong.stderr.contains("was trained on 2 GPU(s) x 4 samples, this run asks for 1 x 4"), "\(wrong.stderr)")
        }
        let resumed = try Fixtures.runSkelzoo(["train", config.path, "--seed", "3", "--gpus", "2", "--work-dir", work.path, "--data-root", root.path,
                                               "--threads", "1", "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try TrainCommandTests.weights(work) == hashes[0])
        #expect(try TrainCommandTests.trainLines(work) == logs[0])
    }
}
