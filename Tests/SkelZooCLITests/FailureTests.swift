import Foundation
import Testing
import ZooTestSupport

/// Issue 11, section 3: the `skelzoo` binary under bad input and faults: a clear `error:` line naming the file,
/// a non-zero exit, nothing lost, and no raw Foundation error.
@Suite struct FailureTests {
    static let coco2dCheckpoint = Fixtures.url("v1_coco60/checkpoint.pth").path

    /// Runs skelzoo with stdout sent to `path` (e.g. /dev/full); returns the status and stderr.
    static func run(_ arguments: [String], stdoutTo path: String) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = Fixtures.skelzooBinary
        process.arguments = arguments
        process.standardOutput = try #require(FileHandle(forWritingAtPath: path))
        let err = Pipe()
        process.standardError = err
        try process.run()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: errData, as: UTF8.self))
    }

    static func expectNoRawFoundationError(_ text: String, _ comment: String = "") {
        #expect(!text.contains("Error Domain="), "\(comment): \(text)")
        #expect(!text.contains("NSCocoaErrorDomain"), "\(comment): \(text)")
    }

    /// A path below a regular file: unwritable for every user, root included.
    static func belowAFile() throws -> (file: URL, below: URL) {
        let file = Fixtures.temporaryDirectory("cli-file").appending(path: "a-file")
        try Data("x".utf8).write(to: file)
        return (file, file.appending(path: "sub"))
    }

    // Scenario 10: `list --json > /dev/full` exited 0 with an empty file.
    @Test func aFullStdoutIsAnError() throws {
        let result = try Self.run(["list", "--json", "--home", Fixtures.temporaryDirectory().path], stdoutTo: "/dev/full")
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: cannot write to standard output: No space left on device"))
    }

    // Found alongside scenario 10: an error message written to a full stderr trapped (SIGILL) in FileHandle.write.
    @Test func aFullStderrDoesNotCrash() throws {
        let process = Process()
        process.executableURL = Fixtures.skelzooBinary
        process.arguments = ["show", "no_such_entry", "--home", Fixtures.temporaryDirectory().path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try #require(FileHandle(forWritingAtPath: "/dev/full"))
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 1)
    }

    // Scenario 14: `data synth --train 2000000000` crashed on allocation.
    @Test func anOversizedSyntheticDatasetIsRefusedBeforeAllocating() throws {
        let out = Fixtures.temporaryDirectory("synth-big")
        let result = try Fixtures.runSkelzoo(["data", "synth", "--layout", "coco", "--classes", "8", "--train", "2000000000", "--val", "10",
                                              "--frames", "64", "--out", out.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("at most 1000000 train and 1000000 val samples, asked for 2000000000 and 10"))
    }

    // Scenario 15: a folder as the checkpoint or --ann-file gave a raw Foundation error and "try downloading it again".
    @Test func aFolderGivenAsCheckpointOrAnnotationFileSaysSo() throws {
        let dir = Fixtures.temporaryDirectory("cli-folder")
        let asCheckpoint = try Fixtures.runSkelzoo(["test", "stgcn_80e_ntu60_xsub_keypoint", dir.path, "--ann-file", Fixtures.url("ann/coco2d_0x.pkl").path,
                                                    "--home", dir.path])
        #expect(asCheckpoint.status == 1)
        #expect(asCheckpoint.stderr.hasPrefix("error: checkpoint \(dir.path) is a folder, expected a file"))
        #expect(!asCheckpoint.stderr.contains("download"))
        let asAnnotations = try Fixtures.runSkelzoo(["test", "stgcn_80e_ntu60_xsub_keypoint", Self.coco2dCheckpoint, "--ann-file", dir.path,
                                                     "--home", dir.path])
        #expect(asAnnotations.status == 1)
        #expect(asAnnotations.stderr.hasPrefix("error: \(dir.path): is a folder, expected an annotation pickle file"))
        Self.expectNoRawFoundationError(asCheckpoint.stderr + asAnnotations.stderr)
    }

    // Scenario 11: `test` on an empty annotation list printed 0% and recorded a succeeded run.
    @Test func testingOnAnEmptyAnnotationListIsAnErrorAndNotASucceededRun() throws {
        let dir = Fixtures.temporaryDirectory("cli-empty")
        let empty = dir.appending(path: "empty.pkl")
        try Data([0x80, 0x02, 0x5D, 0x71, 0x00, 0x2E]).write(to: empty)  // pickle protocol 2: an empty list
        let result = try Fixtures.runSkelzoo(["test", "stgcn_80e_ntu60_xsub_keypoint", Self.coco2dCheckpoint, "--ann-file", empty.path,
                                              "--home", dir.path])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: \(empty.path) holds no samples"))
        let show = try Fixtures.runSkelzoo(["show", "stgcn_80e_ntu60_xsub_keypoint", "--home", dir.path])
        #expect(show.stdout.contains("eval seed=- failed"))
        #expect(!show.stdout.contains("succeeded"))
    }

    // Scenario 16: a non-directory `report --out` printed a raw NSError dump.
    @Test func aReportFolderThatCannotBeCreatedSaysWhy() throws {
        let (file, below) = try Self.belowAFile()
        for out in [file, below] {
            let result = try Fixtures.runSkelzoo(["report", "--out", out.path, "--home", Fixtures.temporaryDirectory().path])
            #expect(result.status == 1)
            #expect(result.stderr.contains("\(file.path) is a file, not a folder"), "\(result.stderr)")
            Self.expectNoRawFoundationError(result.stderr)
        }
    }

    // Scenario 4: a --zoo file that redefined a built-in entry was listed twice.
    @Test func aZooFileRedefiningABuiltInEntryIsRefused() throws {
        let dir = Fixtures.temporaryDirectory("cli-dup")
        let copy = dir.appending(path: "mine.yml")
        try FileManager.default.copyItem(at: Fixtures.repositoryRoot.appending(path: "zoo/demo.yml"), to: copy)
        let result = try Fixtures.runSkelzoo(["list", "--zoo", copy.path, "--home", dir.appending(path: "home").path])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: \(copy.path): demo_stgcn_coco2d_ce: entry 'demo_stgcn_coco2d_ce' is already defined in embedded:zoo/demo.yml"))
    }
}
