import Foundation
import Testing
import ZooTestSupport

/// Issue 11, section 2: data files the zoo gives no hash for are "unverified", and their first hash is kept for `verify`.
@Suite struct DataDownloadTests {
    @Test func aDataFileWithoutAZooHashIsUnverifiedAndVerifySeesALaterChange() throws {
        let (bytes, sha) = try DownloadCommandTests.checkpoint()
        let annotations = try Data(contentsOf: Fixtures.url("ann/coco2d_0x.pkl"))
        let server = try LoopbackHTTPServer()
        server.serve("/mmaction/skeleton/stgcn/fixture/checkpoint-\(sha.prefix(8)).pth", bytes)
        server.serve("/mmaction/posec3d/ntu60_xsub_val.pkl", [UInt8](annotations))
        let dir = Fixtures.temporaryDirectory("data-download")
        let zoo = dir.appending(path: "mirrored.yml")
        let yaml = try String(contentsOf: DownloadCommandTests.zoo(in: dir, sha: sha), encoding: .utf8)
            + "    Data: [https://download.openmmlab.com/mmaction/posec3d/ntu60_xsub_val.pkl]\n"
        try Data(yaml.utf8).write(to: zoo)
        let home = dir.appending(path: "home")
        let common = ["--zoo", zoo.path, "--home", home.path, "--mirror", server.baseURL]
        let download = try Fixtures.runSkelzoo(["download", "fixture_coco60", "--data"] + common)
        #expect(download.status == 0, "\(download.stdout) \(download.stderr)")
        #expect(download.stdout.contains("checkpoint-\(sha.prefix(8)).pth downloaded, verified"))
        #expect(download.stdout.contains("ntu60_xsub_val.pkl downloaded (unverified: no hash in the zoo)"), "\(download.stdout)")
        #expect(!download.stdout.contains("ntu60_xsub_val.pkl downloaded, verified"))
        let again = try Fixtures.runSkelzoo(["download", "fixture_coco60", "--data"] + common)
        #expect(again.stdout.contains("ntu60_xsub_val.pkl cached (no hash in the zoo; matches the sha256 recorded at its first download)"), "\(again.stdout)")
        #expect(try Fixtures.runSkelzoo(["verify", "fixture_coco60"] + common).status == 0)
        // The cached annotations change: verify says so and exits 1.
        let cached = home.appending(path: "data/posec3d/ntu60_xsub_val.pkl")
        var changed = [UInt8](annotations)
        changed[changed.count / 2] ^= 0xFF
        try Data(changed).write(to: cached)
        let verify = try Fixtures.runSkelzoo(["verify", "fixture_coco60"] + common)
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("ntu60_xsub_val.pkl corrupt"), "\(verify.stdout)")
    }
}
