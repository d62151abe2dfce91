import Foundation
import Testing
import ZooConfig
import ZooHarness
import ZooIO
import ZooRunner
import ZooTestSupport

@Suite struct PlanTests {
    @Test func aPlanHasOneTaskPerSeedWithWorkDirsAndDataUnderTheSharedDir() throws {
        let dir = Fixtures.temporaryDirectory("plan")
        let (plan, url) = try HarnessFixtures.plan(seeds: [0, 1, 7], in: dir)
        let shared = dir.appending(path: "shared").path
        #expect(plan.tasks.map(\.index) == [0, 1, 2])
        #expect(plan.tasks.map(\.seed) == [0, 1, 7])
        #expect(plan.tasks.map(\.workDir) == ["\(shared)/work/0-tiny_demo-train-seed0", "\(shared)/work/1-tiny_demo-train-seed1", "\(shared)/work/2-tiny_demo-train-seed7"])
        // The synthetic data were generated into the shared dir before anything runs.
        #expect(plan.tasks[0].trainAnnotations == "\(shared)/data/tiny/train.pkl")
        #expect(FileManager.default.fileExists(atPath: "\(shared)/data/tiny/train.pkl"))
        #expect(FileManager.default.fileExists(atPath: "\(shared)/data/tiny/val.pkl"))
        #expect(plan.tasks[0].configHash == Hashing.sha256(Data(HarnessFixtures.configText.utf8)))
        #expect(try TaskPlan.load(url) == plan)
    }

    @Test func modesAreWrittenAndReadAsTheirText() throws {
        let (plan, url) = try HarnessFixtures.plan(seeds: [0])
        #expect(plan.tasks.map(\.mode) == [.train])
        // plan.json keeps the text "train" / "eval", so plans written before the mode was typed still read.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let tasks = try #require(object["tasks"] as? [[String: Any]])
        #expect(tasks.map { $0["mode"] as? String } == ["train"])
        var eval = tasks[0]
        eval["mode"] = "eval"
        eval["seed"] = nil
        eval["checkpoint"] = "/shared/checkpoints/tiny.pth"
        var edited = object
        edited["tasks"] = [eval]
        try JSONSerialization.data(withJSONObject: edited).write(to: url)
        #expect(try TaskPlan.load(url).tasks.map(\.mode) == [.eval])
    }

    @Test func aSharedDirThatHoldsAPlanIsRefused() throws {
        let dir = Fixtures.temporaryDirectory("plan-twice")
        _ = try HarnessFixtures.plan(in: dir)
        let error = #expect(throws: HarnessError.self) { try HarnessFixtures.plan(in: dir) }
        #expect(error?.message == "\(dir.path)/shared already holds a plan (\(dir.path)/shared/plan.json)")
    }

    @Test func anEvalEntryWithoutACachedCheckpointIsSkippedWithItsFix() throws {
        let dir = Fixtures.temporaryDirectory("plan-eval")
        let entry = try HarnessFixtures.entry(weights: "https://example.invalid/tiny-0123abcd.pth")
        let request = PlanBuilder.Request(entry: entry, mode: .eval, configText: HarnessFixtures.configText, configOrigin: "tiny.yml", seeds: [])
        let (plan, skipped) = try PlanBuilder.prepare([request], sharedDir: dir.appending(path: "shared"),
                                                      sources: .init(dataRoot: dir, checkpoints: dir.appending(path: "checkpoints")),
                                                      batch: "b", threads: 1, backend: nil, isa: nil, codeVersion: "test")
        #expect(plan.tasks.isEmpty)
        #expect(skipped.map(\.fix) == ["skelzoo download tiny_demo"])
    }

    @Test func fusionAndOneXEntriesAreSkippedWithTheirFixes() throws {
        let dir = Fixtures.temporaryDirectory("plan-skips")
        var fusion = try HarnessFixtures.entry(name: "tiny_fusion")
        fusion.fusion = try JSONDecoder().decode(FusionSpec.self, from: Data(#"{"components": [{"entry": "tiny_demo", "weight": 1}], "applySoftmax": false}"#.utf8))
        let requests = [PlanBuilder.Request(entry: fusion, mode: .eval, configText: "", configOrigin: "tiny_fusion", seeds: []),
                        PlanBuilder.Request(entry: try HarnessFixtures.entry(), mode: .train, configText: TinyConfig.oneX(), configOrigin: "tiny1x.yml", seeds: [0])]
        let (plan, skipped) = try PlanBuilder.prepare(requests, sharedDir: dir.appending(path: "shared"),
                                                      sources: .init(dataRoot: dir, checkpoints: dir.appending(path: "checkpoints")),
                                                      batch: "b", threads: 1, backend: nil, isa: nil, codeVersion: "test")
        #expect(plan.tasks.isEmpty)
        #expect(skipped.map(\.fix) == ["skelzoo fuse tiny_fusion tiny_demo.json", "skelzoo reproduce tiny_demo --mode train"])
        #expect(skipped.map(\.configHash) == [nil, Hashing.sha256(Data(TinyConfig.oneX().utf8))])
    }

    struct BadPlan: CustomTestStringConvertible, Sendable {
        var id: String
        var edit: @Sendable (inout [String: Any]) -> Void
        var message: String
        var testDescription: String { id }
    }

    static let badPlans: [BadPlan] = [
        BadPlan(id: "format", edit: { $0["format"] = "skelzoo-plan-99" }, message: "field 'format' is 'skelzoo-plan-99'"),
        BadPlan(id: "missing tasks", edit: { $0["tasks"] = nil }, message: "missing field 'tasks'"),
        BadPlan(id: "threads", edit: { $0["threads"] = 0 }, message: "field 'threads' must be at least 1"),
        BadPlan(id: "mode", edit: { PlanTests.edit(&$0) { $0["mode"] = "fit" } }, message: "field 'tasks[0].mode': 'fit', expected train or eval"),
        BadPlan(id: "index", edit: { PlanTests.edit(&$0) { $0["index"] = 5 } }, message: "tasks[0].index is 5, expected 0"),
        BadPlan(id: "config edited", edit: { PlanTests.edit(&$0) { $0["config_text"] = "model: {}" } }, message: "tasks[0].config_hash does not match config_text"),
        BadPlan(id: "seed type", edit: { PlanTests.edit(&$0) { $0["seed"] = "zero" } }, message: "field 'tasks[0].seed'"),
    ]

    static func edit(_ plan: inout [String: Any], task body: (inout [String: Any]) -> Void) {
        var tasks = plan["tasks"] as! [[String: Any]]
        body(&tasks[0])
        plan["tasks"] = tasks
    }

    @Test(arguments: badPlans) func aBadPlanIsAnErrorNamingTheFileAndField(_ bad: BadPlan) throws {
        let (_, url) = try HarnessFixtures.plan(seeds: [0])
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        bad.edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        let error = #expect(throws: HarnessError.self) { try TaskPlan.load(url) }
        let text = error?.message ?? ""
        #expect(text.hasPrefix(url.path) && text.contains(bad.message), "\(text)")
    }

    @Test func anIndexOutsideThePlanIsAnError() throws {
        let (_, url) = try HarnessFixtures.plan(seeds: [0, 1])
        let error = #expect(throws: HarnessError.self) { try TaskRunner.run(plan: url, index: 2, codeVersion: "test") }
        #expect(error?.message == "\(url.path) has 2 tasks (0..<2); there is no task 2")
    }
}
