import Foundation
import Testing
import ZooTestSupport

/// `skelzoo config export` (issue 11 §4); the exported values are checked against the YAML in ZooConfigTests.
@Suite struct ConfigCommandTests {
    @Test func exportWritesTheMMAction2ConfigToStdoutOrAFile() throws {
        let home = Fixtures.temporaryDirectory("config-export")
        let printed = try Fixtures.runSkelzoo(["config", "export", "stgcn_80e_babel60_wfl", "--home", home.path])
        #expect(printed.status == 0, "\(printed.stderr)")
        let golden = try String(contentsOf: Fixtures.repositoryRoot.appending(path: "Tests/ZooConfigTests/Golden/mmaction2/stgcn_80e_babel60_wfl.py"),
                                encoding: .utf8)
        #expect(printed.stdout == golden)
        let out = home.appending(path: "out/stgcn_80e_babel60_wfl.py")
        let written = try Fixtures.runSkelzoo(["config", "export", "stgcn_80e_babel60_wfl", "--home", home.path, "--out", out.path])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(try String(contentsOf: out, encoding: .utf8) == golden)
        let folder = try Fixtures.runSkelzoo(["config", "export", "stgcn_80e_babel60_wfl", "--home", home.path, "--out", home.path])
        #expect(folder.status == 1 && folder.stderr.contains("is a folder"))
    }

    @Test func aDemoEntryIsAClearErrorNamingTheExtension() throws {
        let result = try Fixtures.runSkelzoo(["config", "export", "demo_stgcn_coco2d_ce", "--home", Fixtures.temporaryDirectory().path])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("error: embedded:configs/demo/demo_stgcn_coco2d_ce.yml: model.backbone: MMAction2 0.24.1 cannot build this network: "),
                "\(result.stderr)")
        #expect(result.stderr.contains("are a SkelZoo extension"))
    }

    @Test func anUnknownModelTypeIsRefusedByName() throws {
        let dir = Fixtures.temporaryDirectory("config-export-1x")
        try FileManager.default.createDirectory(at: dir.appending(path: "configs"), withIntermediateDirectories: true)
        let text = TinyConfig.cli.replacingOccurrences(of: "type: SkeletonGCN", with: "type: RecognizerGCN")
        try Data(text.utf8).write(to: dir.appending(path: "configs/x.yml"))
        let zoo = dir.appending(path: "x-zoo.yml")
        try Data("""
        Collections: [{Name: X}]
        Models:
          - Name: x_1x
            Config: configs/x.yml
            In Collection: X
            Metadata: {Keypoint: 2d}
            Results:
              - {Dataset: X, Task: Skeleton-based Action Recognition, Source: test, Metrics: {Top 1 Accuracy: "1.00"}}

        """.utf8).write(to: zoo)
        let result = try Fixtures.runSkelzoo(["config", "export", "x_1x", "--zoo", zoo.path, "--home", dir.appending(path: "home").path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("model.type: `config export` writes MMAction2 0.24.1 configs of SkeletonGCN(STGCN, STGCNHead) only; 'RecognizerGCN' is not one"),
                "\(result.stderr)")
    }
}
