import Foundation
import Testing
import ZooConfig
import ZooHarness
import ZooIO
import ZooRegistry
import ZooTestSupport

/// The zoo context, the checkpoint cache and the GPU layout, as library calls.
@Suite struct ZooContextTests {
    @Test func theHomeIsTheOptionElseTheEnvironmentElseTheCache() {
        #expect(ZooContext.home(given: "/h", environment: ["SKELZOO_HOME": "/e"]).path == "/h")
        #expect(ZooContext.home(given: nil, environment: ["SKELZOO_HOME": "/e", "XDG_CACHE_HOME": "/x"]).path == "/e")
        #expect(ZooContext.home(given: nil, environment: ["SKELZOO_HOME": "", "XDG_CACHE_HOME": "/x"]).path == "/x/skelzoo")
    }

    @Test func verifyFindsACorruptCheckpointFromItsTypedStateAndRecordsIt() throws {
        let context = try ReproducerTests.context(weights: "https://example.invalid/tiny-0123abcd.pth")
        let entry = try context.entry(named: "tiny_demo")
        let task = try #require(try CacheTask.tasks(for: entry, context: context, data: false).first)
        #expect(task.isCheckpoint && task.destination == context.checkpointURL(fileName: "tiny-0123abcd.pth"))
        let absent = task.verify(context: context)
        #expect(absent.checked == .absent && !absent.isFailure && absent.state == "absent")
        #expect(try context.checkpointState(entry) == .absent)

        try AtomicFile.write(Data("not the released file".utf8), to: task.destination)
        let corrupt = task.verify(context: context)
        #expect(corrupt.isCorrupt && corrupt.isFailure && corrupt.state == "corrupt", "\(corrupt)")
        #expect(corrupt.sha256 == Hashing.sha256(Data("not the released file".utf8)))
        #expect(try context.checkpointState(entry) == .corrupt)
        #expect(try context.registry.checkpoint(for: "tiny_demo")?.state == .corrupt)
    }

    @Test func theGPULayoutIsTheOptionElseTheRecipeAndTheTotalBatchMustSplit() throws {
        let config = try ExperimentConfig.parse(HarnessFixtures.configText, file: "tiny.yml")
        #expect(try GPULayout.resolve(gpus: nil, totalBatch: nil, recipe: nil, config: config) == (1, nil))
        #expect(try GPULayout.resolve(gpus: 2, totalBatch: 16, recipe: nil, config: config) == (2, nil))  // 8 per GPU: the config's
        #expect(try GPULayout.resolve(gpus: 2, totalBatch: 8, recipe: nil, config: config) == (2, 4))
        let error = #expect(throws: HarnessError.self) { try GPULayout.resolve(gpus: 3, totalBatch: 8, recipe: nil, config: config) }
        #expect(error?.message == "--total-batch 8 is not divisible by 3 GPU(s)")
        #expect(throws: HarnessError.self) { try GPULayout.validate(gpus: 0, totalBatch: nil) }
        #expect(throws: HarnessError.self) { try GPULayout.validate(gpus: 2, totalBatch: 3) }
        try GPULayout.validate(gpus: 2, totalBatch: 4)
    }
}
