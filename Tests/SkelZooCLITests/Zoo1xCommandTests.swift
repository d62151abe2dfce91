import Foundation
import Testing
import ZooTestSupport

/// `list`, `show`, `fuse` and `reproduce` on the MMAction2 1.x zoo.
@Suite struct Zoo1xCommandTests {
    static let twoStream = "stgcn_8xb16-two-stream-u100-80e_ntu60-xsub-keypoint-2d"
    static let joint = "stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d"
    static let bone = "stgcn_8xb16-bone-u100-80e_ntu60-xsub-keypoint-2d"

    static func rows(_ arguments: [String]) throws -> [[String: Any]] {
        let result = try Fixtures.runSkelzoo(["list", "--home", Fixtures.temporaryDirectory().path, "--json"] + arguments)
        #expect(result.status == 0)
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
    }

    @Test(arguments: [("STGCN-1x", 16 + 8), ("stgcn++", 8 + 4), ("AGCN", 8 + 4), ("STGCN", 6)])
    func listCollectionFiltersByFamily(_ collection: String, _ count: Int) throws {
        let rows = try Self.rows(["--collection", collection])
        #expect(rows.count == count)
        #expect(rows.allSatisfy { ($0["collection"] as? String)?.lowercased() == collection.lowercased() })
    }

    @Test func listShowsThe1xEntriesAndFusionsWithTheirNumbersAndSource() throws {
        let rows = try Self.rows([])
        let byName = Dictionary(uniqueKeysWithValues: rows.compactMap { row in (row["name"] as? String).map { ($0, row) } })
        #expect(rows.count == 8 + 48)
        #expect(byName[Self.joint]?["top1_acc"] as? String == "88.95")
        #expect(byName[Self.joint]?["modality"] as? String == "2d joint")
        #expect((byName[Self.joint]?["source"] as? String)?.hasPrefix("MMAction2 1.2.0 model zoo") == true)
        #expect(byName[Self.twoStream]?["top1_acc"] as? String == "92.12")
        #expect(byName[Self.twoStream]?["checkpoint"] as? String == "-")
        let fusion = try #require(byName[Self.twoStream]?["fusion"] as? [String: Any])
        let components = try #require(fusion["components"] as? [[String: Any]])
        #expect(components.map { $0["entry"] as? String } == [Self.joint, Self.bone])
        #expect(components.map { $0["weight"] as? Double } == [1, 1])
    }

    @Test func showPresentsAFusionEntryWithItsComponentsAndWeights() throws {
        let result = try Fixtures.runSkelzoo(["show", "stgcnpp_8xb16-four-stream-u100-80e_ntu60-xsub-keypoint-3d", "--home", Fixtures.temporaryDirectory().path])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Top 1 Accuracy: 91.87  [MMAction2 1.2.0 model zoo (configs/skeleton/stgcnpp/README.md, four-stream fusion row)]"))
        #expect(result.stdout.contains("  2 x stgcnpp_8xb16-joint-u100-80e_ntu60-xsub-keypoint-3d  (Top-1 89.14)"))
        #expect(result.stdout.contains("  1 x stgcnpp_8xb16-bone-motion-u100-80e_ntu60-xsub-keypoint-3d  (Top-1 87.45)"))
        #expect(result.stdout.contains("skelzoo fuse stgcnpp_8xb16-four-stream-u100-80e_ntu60-xsub-keypoint-3d"))
    }

    @Test func showPresentsA1xEntryWithItsRecipe() throws {
        let result = try Fixtures.runSkelzoo(["show", "2s-agcn_8xb16-bone-u100-80e_ntu60-xsub-keypoint-2d", "--home", Fixtures.temporaryDirectory().path])
        #expect(result.status == 0)
        #expect(result.stdout.contains("GPUs: 8 GPUs x 16 per GPU = total batch 128"))
        #expect(result.stdout.contains("epochs: 16 x RepeatDataset 5 = 80 passes"))
        #expect(result.stdout.contains("model: AAGCN: unit_aagcn adaptive=true coff_embedding=4 attention=false"))
        #expect(result.stdout.contains("sha256 prefix (from the file name): 293878b5"))
    }

    // MARK: - fuse

    /// The two streams of ``twoStream`` on three samples; 1:1 gets S1 and S2 right, S3 wrong.
    static func writeStreams(_ folder: URL, boneLabels: [Int] = [0, 1, 2], boneNames: [String] = ["S1", "S2", "S3"]) throws -> (URL, URL) {
        func write(_ name: String, _ samples: [(String, Int, [Double])]) throws -> URL {
            let url = folder.appending(path: name)
            let rows = samples.map { ["frame_dir": $0.0, "label": $0.1, "scores": $0.2] as [String: Any] }
            try JSONSerialization.data(withJSONObject: ["metrics": [:] as [String: Any], "samples": rows]).write(to: url)
            return url
        }
        let joint = try write("joint.json", [("S1", 0, [0.7, 0.2, 0.1]), ("S2", 1, [0.4, 0.5, 0.1]), ("S3", 2, [0.6, 0.3, 0.1])])
        let bone = try write("bone.json", zip(zip(boneNames, boneLabels), [[0.5, 0.3, 0.2], [0.1, 0.6, 0.3], [0.5, 0.1, 0.4]]).map { ($0.0, $0.1, $1) })
        return (joint, bone)
    }

    @Test func fuseCombinesTheStreamsWithTheEntrysWeightsAndRecordsTheRun() throws {
        let folder = Fixtures.temporaryDirectory()
        let home = folder.appending(path: "home").path
        let (joint, bone) = try Self.writeStreams(folder)
        let result = try Fixtures.runSkelzoo(["fuse", Self.twoStream, joint.path, bone.path, "--home", home, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let output = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let metrics = try #require(output["metrics"] as? [String: Double])
        #expect(abs((metrics["top1_acc"] ?? 0) - 2.0 / 3.0) < 1e-12)
        #expect(metrics["top5_acc"] == 1)
        #expect(output["published"] as? String == "92.12")
        #expect(output["samples"] as? Int == 3)
        #expect(output["apply_softmax"] as? Bool == false)
        // Named files in any order give the same result.
        let named = try Fixtures.runSkelzoo(["fuse", Self.twoStream, "\(Self.bone)=\(bone.path)", "\(Self.joint)=\(joint.path)", "--home", home])
        #expect(named.status == 0)
        #expect(named.stdout.contains("top1_acc: 0.6667"))
        #expect(named.stdout.contains("published Top 1 Accuracy: 92.12"))
        let shown = try Fixtures.runSkelzoo(["show", Self.twoStream, "--home", home])
        #expect(shown.stdout.contains("eval"))
        #expect(shown.stdout.contains("top1_acc=0.6667"))
    }

    @Test func fuseRefusesStreamsThatListOtherSamples() throws {
        let folder = Fixtures.temporaryDirectory()
        let (joint, bone) = try Self.writeStreams(folder, boneNames: ["S1", "S2", "S4"])
        let result = try Fixtures.runSkelzoo(["fuse", Self.twoStream, joint.path, bone.path, "--home", folder.appending(path: "home").path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("sample 2 is 'S4'"))
        #expect(result.stderr.contains("hint:"))
    }

    @Test(arguments: [
        (["stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d", "a.json", "b.json"], "is not a fusion entry"),
        ([twoStream, "a.json"], "this fusion entry has 2 components; got 1 result file(s)"),
        ([twoStream, "\(joint)=a.json", "b.json"], "mix of COMPONENT=FILE and plain files"),
        ([twoStream, "a.json", "b.json"], "cannot read the result file"),
    ])
    func fuseArgumentsThatCannotWorkAreErrors(_ arguments: [String], _ message: String) throws {
        let folder = Fixtures.temporaryDirectory()
        let result = try Fixtures.runSkelzoo(["fuse"] + arguments + ["--home", folder.path], currentDirectory: folder)
        #expect(result.status == 1)
        #expect(result.stderr.contains(message))
    }

    @Test func fuseHasHelpWithAnExample() throws {
        let result = try Fixtures.runSkelzoo(["fuse", "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Examples:"))
    }

    @Test func reproduceSkipsFusionAnd1xEntriesWithTheirFix() throws {
        let home = Fixtures.temporaryDirectory().path
        let result = try Fixtures.runSkelzoo(["reproduce", Self.twoStream, Self.joint, "--home", home, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let outcomes = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(outcomes.map { $0["status"] as? String } == ["skipped", "skipped"])
        #expect((outcomes[0]["fix"] as? String)?.hasPrefix("skelzoo fuse \(Self.twoStream)") == true)
        #expect(outcomes[1]["fix"] as? String == "skelzoo download \(Self.joint)")
    }
}

/// `make run`'s 1.x step: every 1.x entry is skipped with its fix, and the report has one table per family.
@Suite struct Zoo1xReportTests {
    @Test func reproducingThe1xZooHereSkipsEveryEntryAndTheReportHasATablePerFamily() throws {
        let folder = Fixtures.temporaryDirectory()
        let home = folder.appending(path: "home").path
        let zoo = Fixtures.repositoryRoot.appending(path: "zoo")
        let reproduce = try Fixtures.runSkelzoo(["reproduce", "--home", home, "--zoo", zoo.appending(path: "stgcn1x.yml").path,
                                                 "--zoo", zoo.appending(path: "stgcnpp.yml").path, "--zoo", zoo.appending(path: "2s-agcn.yml").path])
        #expect(reproduce.status == 0, "\(reproduce.stderr)")
        #expect(reproduce.stdout.contains("summary: 0 reproduced, 0 differ, 48 skipped, 0 failed"))
        let out = folder.appending(path: "reports")
        let report = try Fixtures.runSkelzoo(["report", "--home", home, "--out", out.path])
        #expect(report.status == 0, "\(report.stderr)")
        let readme = try String(contentsOf: out.appending(path: "README.md"), encoding: .utf8)
        for family in ["## STGCN-1x", "## STGCN++", "## AGCN", "## STGCN\n", "## STGCN-demo"] { #expect(readme.contains(family)) }
        #expect(readme.contains("| stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d | Top 1 Accuracy | 88.95"))
        #expect(readme.contains("skipped: checkpoint not in the cache (no network here)"))
        #expect(readme.contains("skipped: a fusion entry"))
        let details = try String(contentsOf: out.appending(path: "runs/stgcn_8xb16-two-stream-u100-80e_ntu60-xsub-keypoint-2d.md"), encoding: .utf8)
        #expect(details.contains("`skelzoo fuse stgcn_8xb16-two-stream-u100-80e_ntu60-xsub-keypoint-2d"))
    }
}
