import Foundation
import Testing
import ZooTestSupport
import ZooTorch
@testable import ZooPose

@Suite struct AnnotationAndPipelineTests {
    static let coco2d: [PipelineStep] = [
        .paddingWithLoop(clipLength: 300, numClips: 1), .poseDecode, .formatGCNInput(inputFormat: "NCTVM", numPerson: 2),
        .poseNormalize(mean: [960, 540, 0.5], minValue: [0, 0, 0], maxValue: [1920, 1080, 1]),
        .collect(keys: ["keypoint", "label"], metaKeys: []), .toTensor(keys: ["keypoint"]),
    ]
    static let ntu3d: [PipelineStep] = [
        .paddingWithLoop(clipLength: 300, numClips: 1), .poseDecode, .formatGCNInput(inputFormat: "NCTVM", numPerson: 2),
        .collect(keys: ["keypoint", "label"], metaKeys: []), .toTensor(keys: ["keypoint"]),
    ]

    @Test(arguments: ["coco2d_0x.pkl", "coco2d_0x_proto2.pkl"])
    func pipelineOutputEqualsMMAction2(_ file: String) throws {
        let (format, samples) = try AnnotationFile.load(Fixtures.url("ann/\(file)"))
        #expect(format == .v0x)
        #expect(samples.map(\.totalFrames) == [48, 75, 120, 150, 299, 300, 333, 64])
        #expect(samples.map(\.persons) == [1, 2, 2, 1, 2, 1, 2, 3])
        let labels = try FixtureTensor.load("ann/pipeline_coco2d/labels")
        #expect(samples.map { Double($0.label) } == labels.values)
        let pipeline = PosePipeline(Self.coco2d)
        for (i, sample) in samples.enumerated() {
            let expected = try FixtureTensor.load("ann/pipeline_coco2d/sample\(i)_keypoint")
            let output = pipeline.apply(sample)
            #expect(output.shape == expected.shape)
            expectClose(output.storage, expected.floats, absolute: 0, relative: 0, "sample \(i)")
        }
    }

    @Test func ntu3DPipelineHasNoNormalizationAndNoScoreChannel() throws {
        let (_, samples) = try AnnotationFile.load(Fixtures.url("ann/ntu3d_0x.pkl"))
        let pipeline = PosePipeline(Self.ntu3d)
        for (i, sample) in samples.enumerated() {
            #expect(sample.keypointScore == nil)
            let expected = try FixtureTensor.load("ann/pipeline_ntu3d/sample\(i)_keypoint")
            expectClose(pipeline.apply(sample).storage, expected.floats, absolute: 0, relative: 0, "sample \(i)")
        }
    }

    @Test func oneXFilesSelectTheirSplit() throws {
        let (format, val) = try AnnotationFile.load(Fixtures.url("ann/ntu3d_1x.pkl"), split: "xsub_val")
        #expect(format == .v1x)
        #expect(val.map(\.frameDirectory) == ["S001C001P002R001A007", "S002C001P003R001A008"])
        let (_, train) = try AnnotationFile.load(Fixtures.url("ann/coco2d_1x.pkl"), split: "xsub_train")
        #expect(train.count == 6)
        #expect(try AnnotationFile.splits(of: Fixtures.url("ann/coco2d_1x.pkl")) == ["xsub_train", "xsub_val"])
    }

    @Test func oneXFileWithoutSplitSaysWhichSplitsExist() throws {
        do {
            _ = try AnnotationFile.load(Fixtures.url("ann/coco2d_1x.pkl"))
            Issue.record("expected an error")
        } catch let error as AnnotationError {
            #expect(error.message.contains("xsub_train, xsub_val"))
        }
    }

    // MARK: - Bad annotation files

    static func annotationPickle(_ sample: [(String, PickleOutput)]) -> [UInt8] {
        var writer = PickleWriter()
        writer.write(.list([.dict(sample)]))
        writer.finish()
        return writer.bytes
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        var id: String
        var sample: [(String, PickleOutput)]
        var message: String
        var testDescription: String { id }
        init(id: String, sample: [(String, PickleOutput)], message: String) {
            self.id = id
            self.sample = sample
            self.message = message
        }
    }

    static let badCases: [BadCase] = [
        .init(id: "label is a string", sample: [("frame_dir", .string("a")), ("label", .string("7")), ("total_frames", .int(2))],
              message: "sample 0: 'label' must be an int, found str"),
        .init(id: "no keypoint", sample: [("frame_dir", .string("a")), ("label", .int(1)), ("total_frames", .int(2))],
              message: "sample 0: missing 'keypoint'"),
        .init(id: "keypoint is a list", sample: [("frame_dir", .string("a")), ("label", .int(1)), ("total_frames", .int(2)), ("keypoint", .list([.float(1)]))],
              message: "sample 0: 'keypoint' must be a numpy array, found a list"),
    ]

    @Test(arguments: badCases) func badAnnotationNamesSampleAndField(_ bad: BadCase) throws {
        let url = Fixtures.temporaryDirectory().appending(path: "bad.pkl")
        try Data(Self.annotationPickle(bad.sample)).write(to: url)
        do {
            _ = try AnnotationFile.load(url)
            Issue.record("expected an error")
        } catch let error as AnnotationError {
            #expect(error.file == url.path)
            #expect(error.message == bad.message)
        }
    }

    @Test func aPickleWithAForeignGlobalIsRefusedAsAnAnnotationFile() throws {
        let url = Fixtures.temporaryDirectory().appending(path: "evil.pkl")
        var bytes: [UInt8] = [0x80, 2, 0x63] + Array("os\nsystem\n".utf8)
        bytes += [0x58, 4, 0, 0, 0] + Array("true".utf8) + [0x85, 0x52, 0x2E]
        try Data(bytes).write(to: url)
        do {
            _ = try AnnotationFile.load(url)
            Issue.record("expected an error")
        } catch let error as AnnotationError {
            #expect(error.message.contains("os.system"))
        }
    }
}
