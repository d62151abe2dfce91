import Foundation
import Testing
import ZooTestSupport

@Suite(.serialized) struct ListCommandTests {
    @Test func listMatchesTheGoldenFile() throws {
        let home = Fixtures.temporaryDirectory()
        let result = try Fixtures.runSkelzoo(["list", "--home", home.path], currentDirectory: FileManager.default.temporaryDirectory)
        #expect(result.status == 0)
        #expect(result.stdout == (try Golden.text("list.txt")))
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
}
