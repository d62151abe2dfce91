import Foundation
import Testing
import ZooConfig
import ZooIO
import ZooPose
import ZooSTGCN
import ZooTensor
import ZooTestSupport
@testable import ZooRunner

@Suite struct DeterminismTests {
    struct Run {
        var result: TrainingResult
        var losses: [String]
        var directory: URL
    }

    static func data(_ config: ExperimentConfig, root: URL) throws -> ([PoseSample], [PoseSample]) {
        let files = try DataResolver(root: root).annotationFiles(for: config, entryName: nil)
        return (try AnnotationFile.load(files.train).samples, try AnnotationFile.load(files.val).samples)
    }

    static func train(_ text: String = TinyConfig.text(), seed: UInt64 = 0, threads: Int, directory: URL? = nil, resume: Bool = false) throws -> Run {
        let config = try TinyConfig.config(text)
        let root = Fixtures.temporaryDirectory("tiny-data")
        let (train, val) = try data(config, root: root)
        let work = directory ?? Fixtures.temporaryDirectory("tiny-run")
        let setup = TrainingSetup(config: config, configHash: Hashing.sha256(Data(text.utf8)), configName: "tiny", seed: seed,
                                  threads: threads, workDirectory: work, resume: resume)
        let result = try Trainer(setup, train: train, val: val).run()
        return Run(result: result, losses: try losses(work), directory: work)
    }

    /// Every logged training loss, as written.
    static func losses(_ directory: URL) throws -> [String] {
        try String(contentsOf: directory.appending(path: "log.jsonl"), encoding: .utf8).split(separator: "\n")
            .filter { $0.contains("\"mode\":\"train\"") || $0.contains("\"mode\":\"val\"") }
            .map { line in line.replacingOccurrences(of: #""time":[0-9.e-]+,?"#, with: "", options: .regularExpression) }
    }

    @Test func sameSeedGivesTheSameBitsAndAnotherSeedDoesNot() throws {
        let a = try Self.train(threads: 2), b = try Self.train(threads: 2), c = try Self.train(seed: 1, threads: 2)
        #expect(a.result.weightsSHA256 == b.result.weightsSHA256)
        #expect(a.losses == b.losses)
        #expect(a.result.metrics == b.result.metrics)
        #expect(a.losses.count == 3 * 12 + 3)
        #expect(c.result.weightsSHA256 != a.result.weightsSHA256)
        #expect(c.losses != a.losses)
    }

    @Test func oneAndTwoThreadsGiveTheSameBits() throws {
        let one = try Self.train(threads: 1), two = try Self.train(threads: 2)
        #expect(one.result.weightsSHA256 == two.result.weightsSHA256)
        #expect(one.losses == two.losses)
        #expect(one.result.metrics == two.result.metrics)
        // The checkpoints are byte-identical too.
        let a = try Data(contentsOf: one.directory.appending(path: "latest.pth")), b = try Data(contentsOf: two.directory.appending(path: "latest.pth"))
        #expect(a == b)
    }

    /// The promise: one seed, one set of bits, whatever the ISA and the thread count. Pinned, so any change of
    /// the arithmetic (kernels, operation order, math functions) shows up here and is made on purpose, with a
    /// bump of `Arithmetic.version` and re-recorded references (zoo/demo.yml).
    static let pinnedWeightsSHA256 = "33a074e40ced5d151ebc720bb5e9fb599c2c36f502abb3569f9c67206c5aecbd"

    @Test func everyISAAndThreadCountGiveThePinnedBits() throws {
        let original = Arithmetic.backend
        defer { try? Arithmetic.select(original) }
        var seen: [String: String] = [:]
        for isa in Arithmetic.ISA.available {
            for threads in [1, 2] {
                try Arithmetic.select(.portable(isa))
                seen["\(isa.rawValue)/\(threads)"] = try Self.train(threads: threads).result.weightsSHA256
            }
        }
        for (run, hash) in seen.sorted(by: { $0.key < $1.key }) {
            #expect(hash == Self.pinnedWeightsSHA256, "\(run)")
        }
    }

    @Test func resumingFromLatestGivesTheSameBitsAsAStraightRun() throws {
        let straight = try Self.train(threads: 2)
        // A run that has finished epoch 1 of 3: keep only what a kill after epoch 1 would leave (latest.pth holds epoch 1,
        // the log runs into epoch 2) by training a 1-epoch prefix with the same config hash.
        let directory = Fixtures.temporaryDirectory("tiny-resume")
        _ = try Self.train(threads: 1, directory: directory)
        try FileManager.default.removeItem(at: directory.appending(path: "latest.pth"))
        try FileManager.default.copyItem(at: directory.appending(path: "epoch_1.pth"), to: directory.appending(path: "latest.pth"))
        try FileManager.default.removeItem(at: directory.appending(path: "result.json"))
        let resumed = try Self.train(threads: 2, directory: directory, resume: true)
        #expect(resumed.result.weightsSHA256 == straight.result.weightsSHA256)
        #expect(resumed.losses == straight.losses)
        #expect(resumed.result.history.count == 3)
    }

    @Test func resumingACheckpointOfAnotherArithmeticIsRefused() throws {
        let directory = Fixtures.temporaryDirectory("tiny-arithmetic")
        let run = try Self.train(threads: 2, directory: directory)
        // Rewrite latest.pth as an OpenBLAS run would have: same weights, another arithmetic in its meta.
        let latest = directory.appending(path: "latest.pth")
        var model = STGCN(STGCNConfiguration(try TinyConfig.config().model))
        var optimizer = SGD(momentum: 0.9, weightDecay: 1e-4, nesterov: true)
        var position = try CheckpointIO.restore(from: latest, into: &model, optimizer: &optimizer)
        #expect(position.arithmetic == Arithmetic.version)
        position.arithmetic = "openblas/Haswell"
        try Data(CheckpointIO.encode(model: model, optimizer: optimizer, hyperparameters: try TinyConfig.config().optimizer, learningRate: 0.003,
                                     position: position, configName: "tiny")).write(to: latest)
        try FileManager.default.removeItem(at: directory.appending(path: "result.json"))
        do {
            _ = try Self.train(threads: 2, directory: directory, resume: true)
            Issue.record("expected an error")
        } catch let error as RunnerError {
            #expect(error.message.contains("openblas/Haswell") && error.message.contains(Arithmetic.version))
        }
        #expect(!run.result.weightsSHA256.isEmpty)
    }

    @Test func aCorruptLatestCheckpointIsRefusedAndKept() throws {
        let directory = Fixtures.temporaryDirectory("tiny-corrupt")
        _ = try Self.train(threads: 2, directory: directory)
        let latest = directory.appending(path: "latest.pth")
        let bytes = try Data(contentsOf: latest)
        try bytes.prefix(bytes.count / 2).write(to: latest)
        #expect(throws: RunnerError.self) { try Self.train(threads: 2, directory: directory, resume: true) }
        #expect(try Data(contentsOf: latest) == bytes.prefix(bytes.count / 2))
    }

    @Test func startingOverAnExistingRunIsRefused() throws {
        let directory = Fixtures.temporaryDirectory("tiny-exists")
        _ = try Self.train(threads: 2, directory: directory)
        do {
            _ = try Self.train(threads: 2, directory: directory)
            Issue.record("expected an error")
        } catch let error as RunnerError {
            #expect(error.hint?.contains("--resume") == true)
        }
    }
}
