import Foundation
import Testing
import ZooTestSupport

@Suite struct DownloadCommandTests {
    static func zoo(in dir: URL, sha: String) throws -> URL {
        let yaml = """
        Collections: [{Name: Mirrored}]
        Models:
          - Name: fixture_coco60
            Config: configs/stgcn/stgcn_80e_ntu60_xsub_keypoint.yml
            In Collection: Mirrored
            Metadata: {Keypoint: 2d}
            Results:
              - {Dataset: NTU60-XSub, Task: Skeleton-based Action Recognition, Source: fixture, Metrics: {Top 1 Accuracy: "0.00"}}
            Weights: https://download.openmmlab.com/mmaction/skeleton/stgcn/fixture/checkpoint-\(sha.prefix(8)).pth
            Weights SHA256: \(sha)

        """
        let file = dir.appending(path: "mirrored.yml")
        try Data(yaml.utf8).write(to: file)
        return file
    }

    static func checkpoint() throws -> (bytes: [UInt8], sha: String) {
        let data = try Data(contentsOf: Fixtures.url("v1_coco60/checkpoint.pth"))
        let result = try Fixtures.runSkelzoo(["--version"])
        _ = result
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [Fixtures.url("v1_coco60/checkpoint.pth").path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let sha = String(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64))
        return ([UInt8](data), sha)
    }

    @Test func downloadVerifyAndFixAgainstALoopbackMirror() throws {
        let (bytes, sha) = try Self.checkpoint()
        let server = try LoopbackHTTPServer()
        let path = "/mmaction/skeleton/stgcn/fixture/checkpoint-\(sha.prefix(8)).pth"
        server.serve(path, bytes)
        let dir = Fixtures.temporaryDirectory("download")
        let zoo = try Self.zoo(in: dir, sha: sha)
        let home = dir.appending(path: "home").path
        let common = ["--zoo", zoo.path, "--home", home]
        let offline = try Fixtures.runSkelzoo(["download", "fixture_coco60", "--offline"] + common)
        #expect(offline.status == 1)
        #expect(offline.stdout.contains("offline mode is on"))
        let download = try Fixtures.runSkelzoo(["download", "fixture_coco60", "--mirror", server.baseURL] + common)
        #expect(download.status == 0, "\(download.stdout) \(download.stderr)")
        #expect(download.stdout.contains("downloaded, verified"))
        #expect(try Fixtures.runSkelzoo(["list", "--json"] + common).stdout.contains("\"checkpoint\" : \"verified\""))
        // Corrupt the cached file: verify says so and exits 1; --fix downloads it again.
        let cached = URL(fileURLWithPath: home).appending(path: "checkpoints/checkpoint-\(sha.prefix(8)).pth")
        var damaged = bytes
        damaged[1000] ^= 0xFF
        try Data(damaged).write(to: cached)
        let verify = try Fixtures.runSkelzoo(["verify", "fixture_coco60"] + common)
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("corrupt"))
        #expect(try Fixtures.runSkelzoo(["list", "--json"] + common).stdout.contains("\"checkpoint\" : \"corrupt\""))
        let fixed = try Fixtures.runSkelzoo(["verify", "fixture_coco60", "--fix", "--mirror", server.baseURL] + common)
        #expect(fixed.status == 0, "\(fixed.stdout)")
        #expect(try Data(contentsOf: cached) == Data(bytes))
        // The downloaded checkpoint is usable: test runs on it.
        let test = try Fixtures.runSkelzoo(["test", "fixture_coco60", cached.path, "--ann-file", Fixtures.url("ann/coco2d_0x.pkl").path] + common)
        #expect(test.status == 0, "\(test.stderr)")
    }

    @Test func aDownloadKilledWithSIGKILLIsResumedByTheNextRun() throws {
        let (bytes, sha) = try Self.checkpoint()
        let server = try LoopbackHTTPServer()
        let path = "/mmaction/skeleton/stgcn/fixture/checkpoint-\(sha.prefix(8)).pth"
        server.serve(path, bytes, faults: [.trickle(bytes: 512 * 1024, interval: 0.05)])
        let dir = Fixtures.temporaryDirectory("download-kill")
        let zoo = try Self.zoo(in: dir, sha: sha)
        let home = dir.appending(path: "home")
        let part = home.appending(path: "checkpoints/checkpoint-\(sha.prefix(8)).pth.part")
        let process = Process()
        process.executableURL = Fixtures.skelzooBinary
        process.arguments = ["download", "fixture_coco60", "--mirror", server.baseURL, "--zoo", zoo.path, "--home", home.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline
            && (((try? FileManager.default.attributesOfItem(atPath: part.path))?[.size] as? NSNumber)?.intValue ?? 0) < 2_000_000 { usleep(2000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(!FileManager.default.fileExists(atPath: String(part.path.dropLast(5))), "nothing half-written in place")
        let resumed = try Fixtures.runSkelzoo(["download", "fixture_coco60", "--mirror", server.baseURL, "--zoo", zoo.path, "--home", home.path])
        #expect(resumed.status == 0, "\(resumed.stdout)")
        #expect(server.ranges.contains { $0.contains("bytes=") && !$0.hasSuffix("bytes=0-") })
        #expect(server.requests(path) == 2)
    }
}
