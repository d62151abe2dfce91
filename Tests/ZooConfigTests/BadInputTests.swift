import Foundation
import Testing
@testable import ZooConfig
import ZooPose

/// Issue 11, section 3: bad configs and zoo files are errors naming the file and the field, never a silent fallback.
@Suite struct BadInputTests {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appending(path: "zooconfig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static let baseConfig = "configs/demo/demo_stgcn_coco2d_ce.yml"

    struct OptimizerCase: Sendable, CustomTestStringConvertible {
        var id: String, replace: String, with: String, key: String
        var testDescription: String { id }
    }

    // Scenario 12: torch.optim.SGD raises "Invalid learning rate/momentum/weight_decay value" for these.
    static let optimizerCases: [OptimizerCase] = [
        .init(id: "negative lr", replace: "lr: 0.03", with: "lr: -0.03", key: "optimizer.lr"),
        .init(id: "negative momentum", replace: "momentum: 0.9", with: "momentum: -0.9", key: "optimizer.momentum"),
        .init(id: "negative weight decay", replace: "weight_decay: 0.0001", with: "weight_decay: -0.0001", key: "optimizer.weight_decay"),
        .init(id: "nesterov without momentum", replace: "momentum: 0.9", with: "momentum: 0", key: "optimizer.nesterov"),
    ]

    @Test(arguments: optimizerCases) func optimizerValuesTorchRejectsAreErrors(_ testCase: OptimizerCase) throws {
        let text = try #require(ZooSources.embeddedText(Self.baseConfig))
        #expect(text.contains(testCase.replace))
        let bad = text.replacingOccurrences(of: testCase.replace, with: testCase.with)
        do {
            _ = try ExperimentConfig.parse(bad, file: "bad.yml")
            Issue.record("\(testCase.id) was accepted")
        } catch {
            #expect(error.file == "bad.yml")
            #expect(error.key == testCase.key)
        }
    }

    // Scenario 14: `data synth --train 2000000000` crashed on allocation.
    @Test func aSyntheticRecipeBeyondTheLimitsSaysSo() throws {
        let huge = SyntheticRecipe(layout: "coco", classes: 8, trainCount: 2_000_000_000, valCount: 10, frames: 64, persons: 2, seed: 0)
        #expect(huge.limitViolation?.contains("2000000000") == true)
        let tooMuchMemory = SyntheticRecipe(layout: "coco", classes: 8, trainCount: 900_000, valCount: 10, frames: 10_000, persons: 2, seed: 0)
        #expect(tooMuchMemory.limitViolation?.contains("MiB") == true)
        let overflow = SyntheticRecipe(layout: "coco", classes: 8, trainCount: 1_000_000, valCount: 1_000_000, frames: 100_000, persons: 16, seed: 0)
        #expect(overflow.limitViolation != nil)
        let fine = SyntheticRecipe(layout: "coco", classes: 8, trainCount: 400, valCount: 160, frames: 64, persons: 2, seed: 0)
        #expect(fine.limitViolation == nil)
        let text = try #require(ZooSources.embeddedText(Self.baseConfig))
        let bad = text.replacingOccurrences(of: "  train: 480\n", with: "  train: 2000000000\n")
        #expect(bad != text)
        #expect(throws: ConfigError.self) { try ExperimentConfig.parse(bad, file: "big.yml") }
    }

    // Scenario 5: a config that is not UTF-8 fell back to the built-in config.
    @Test func aConfigThatIsNotUTF8IsAnErrorNamingTheFile() throws {
        let dir = try Self.temporaryDirectory()
        try FileManager.default.createDirectory(at: dir.appending(path: "configs/demo"), withIntermediateDirectories: true)
        let config = dir.appending(path: Self.baseConfig)
        try Data([0x6d, 0x6f, 0x64, 0x65, 0x6c, 0x3a, 0x20, 0xff, 0xfe, 0x0a]).write(to: config)
        let zoo = dir.appending(path: "demo.yml")
        try Data(try #require(ZooSources.embeddedText("zoo/demo.yml")).utf8).write(to: zoo)
        let sources = try ZooSources.load(overrides: [zoo])
        let entry = try #require(try sources.parse().flatMap(\.entries).first { $0.name == "demo_stgcn_coco2d_ce" })
        do {
            _ = try sources.configText(for: entry)
            Issue.record("the embedded config was used instead")
        } catch {
            #expect(error.file == config.path)
            #expect(error.message.contains("not valid UTF-8"))
        }
        // A missing file is the one case that falls back (to the embedded copy).
        try FileManager.default.removeItem(at: config)
        #expect(try sources.configText(for: entry).origin == "embedded:\(Self.baseConfig)")
    }

    // Scenario 4: a --zoo file that redefined a built-in entry was listed twice and used inconsistently.
    @Test func aZooFileRedefiningABuiltInEntryIsAnError() throws {
        let dir = try Self.temporaryDirectory()
        let copy = dir.appending(path: "my-demo.yml")
        try Data(try #require(ZooSources.embeddedText("zoo/demo.yml")).utf8).write(to: copy)
        let sources = try ZooSources.load(overrides: [copy])
        do {
            _ = try sources.parse()
            Issue.record("the duplicate entry was accepted")
        } catch {
            #expect(error.file == copy.path)
            #expect(error.message.contains("already defined in embedded:zoo/demo.yml"))
            #expect(error.message.contains("'demo.yml'"))
        }
        // Under the built-in file's name it replaces that file, as documented.
        let replacement = dir.appending(path: "demo.yml")
        try FileManager.default.moveItem(at: copy, to: replacement)
        let replaced = try ZooSources.load(overrides: [replacement]).parse()
        #expect(replaced.flatMap(\.entries).filter { $0.name == "demo_stgcn_coco2d_ce" }.count == 1)
    }
}
