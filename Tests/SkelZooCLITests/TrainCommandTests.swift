import Foundation
import Testing
import ZooTestSupport

/// `skelzoo train` on ``TinyConfig/cli``: killed with SIGKILL and resumed, it gives the straight run's bits.
@Suite struct TrainCommandTests {
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
        try Data(TinyConfig.cli.utf8).write(to: config)
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
