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
