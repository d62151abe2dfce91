import Foundation
import Testing
import ZooTestSupport

/// `reproduce --seeds auto` arguments, and `reproduce --executor slurm --json` (one JSON object on stdout).
@Suite struct ReproduceSeedsAndJSONTests {
    struct BadInput: CustomTestStringConvertible, Sendable {
        var id: String
        var arguments: [String]
        var message: String
        var testDescription: String { id }
    }

    static let badInputs: [BadInput] = [
        BadInput(id: "seeds word", arguments: ["--seeds", "many"], message: "--seeds must be auto or comma-separated integers >= 0"),
        BadInput(id: "ci zero", arguments: ["--seeds", "auto", "--ci", "0"], message: "--ci must be a positive number of points"),
        BadInput(id: "max seeds zero", arguments: ["--seeds", "auto", "--max-seeds", "0"], message: "--max-seeds must be 1...100"),
        BadInput(id: "max seeds past the table", arguments: ["--seeds", "auto", "--max-seeds", "101"], message: "--max-seeds must be 1...100"),
        BadInput(id: "auto on slurm", arguments: ["--seeds", "auto", "--executor", "slurm", "--shared-dir", "/tmp/x"],
                 message: "--seeds auto decides after each seed, so it runs here"),
    ]

    @Test(arguments: badInputs) func badSeedArgumentsAreRefusedClearly(_ input: BadInput) throws {
        let result = try Fixtures.runSkelzoo(["reproduce", "--home", Fixtures.temporaryDirectory().path] + input.arguments)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains(input.message), "\(result.stderr)")
    }

    @Test func slurmDryRunWithJSONPrintsOneObject() throws {
        let dir = Fixtures.temporaryDirectory("slurm-json")
        let zoo = try ReproduceCommandTests.zoo(in: dir, reference: nil, top1: "50.00")
        let shared = dir.appending(path: "shared")
        let run = try Fixtures.runSkelzoo(["reproduce", "--zoo", zoo.path, "--home", dir.appending(path: "home").path, "--seeds", "0,1",
                                           "--executor", "slurm", "--shared-dir", shared.path, "--dry-run", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)")
        #expect(object["plan"] as? String == shared.appending(path: "plan.json").path)
        #expect(object["script"] as? String == shared.appending(path: "submit.sbatch").path)
        let tasks = try #require(object["tasks"] as? [[String: Any]])
        #expect(tasks.map { $0["index"] as? Int } == [0, 1])
        #expect(object["job_id"] == nil)   // a dry run submits nothing
        #expect((object["batch"] as? String)?.isEmpty == false)
        #expect(object["collect"] as? String == "skelzoo collect \(shared.path) --home \(dir.appending(path: "home").path)")
    }
}
