import Foundation
import Testing
import ZooTensor
import ZooTestSupport
@testable import ZooPose

@Suite struct SyntheticSkeletonsTests {
    static func write(_ recipe: SyntheticRecipe, format: AnnotationFile.Format = .v0x) throws -> URL {
        let directory = Fixtures.temporaryDirectory("synth")
        _ = try SyntheticSkeletons.write(recipe, to: directory, format: format) { data, url in try data.write(to: url) }
        return directory
    }

    @Test(arguments: [("coco", 2, 17, 2), ("ntu-rgb+d", 1, 25, 3)])
    func roundTripsThroughTheReaderWithTheRequestedShapes(_ layout: String, _ persons: Int, _ joints: Int, _ coordinates: Int) throws {
        let recipe = SyntheticRecipe(layout: layout, classes: 5, trainCount: 40, valCount: 15, frames: 20, persons: persons, seed: 3)
        let directory = try Self.write(recipe)
        let train = try AnnotationFile.load(directory.appending(path: "train.pkl")).samples
        let val = try AnnotationFile.load(directory.appending(path: "val.pkl")).samples
        #expect(train.count == 40 && val.count == 15)
        for sample in train + val {
            #expect(sample.persons >= 1 && sample.persons <= persons)
            #expect(Array(sample.keypointShape.dropFirst()) == [20, joints, coordinates])
            #expect(sample.totalFrames == 20)
            #expect((sample.keypointScore != nil) == (coordinates == 2))
        }
        // Exactly what was generated: the writer and the reader agree bit for bit.
        #expect(train == SyntheticSkeletons.generate(recipe).train)
        // Balanced: 8 per class.
        #expect(Dictionary(grouping: train, by: \.label).mapValues(\.count) == [0: 8, 1: 8, 2: 8, 3: 8, 4: 8])
    }

    /// The demo data are generated on the user's machine, so the generator's bytes are part of the promise.
    @Test func generatedFilesArePinnedBitForBit() throws {
        let recipe = SyntheticRecipe(layout: "coco", classes: 4, trainCount: 12, valCount: 4, frames: 24, persons: 2, seed: 5)
        let directory = try Self.write(recipe)
        let data = try Data(contentsOf: directory.appending(path: "train.pkl")) + Data(contentsOf: directory.appending(path: "val.pkl"))
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        #expect(String(hash, radix: 16) == "10fba05adaeb3e98")
    }

    @Test func longTailedCountsFallGeometrically() {
        let recipe = SyntheticRecipe(layout: "ntu-rgb+d", classes: 10, trainCount: 600, valCount: 200, frames: 40, persons: 1, seed: 1, imbalance: 10)
        let counts = recipe.classCounts(total: 600)
        #expect(counts == [147, 114, 89, 69, 53, 41, 31, 24, 18, 14])
        #expect(counts.reduce(0, +) == 600)
    }

    @Test func theSameSeedGivesTheSameFilesAndAnotherSeedDoesNot() throws {
        let recipe = SyntheticRecipe(layout: "coco", classes: 3, trainCount: 9, valCount: 3, frames: 10, persons: 2, seed: 7)
        let a = try Data(contentsOf: Self.write(recipe).appending(path: "train.pkl"))
        let b = try Data(contentsOf: Self.write(recipe).appending(path: "train.pkl"))
        var other = recipe
        other.seed = 8
        let c = try Data(contentsOf: Self.write(other).appending(path: "train.pkl"))
        #expect(a == b)
        #expect(a != c)
    }

    @Test(arguments: ["coco", "ntu-rgb+d"]) func bonesKeepTheirLengthThroughTheMotion(_ layout: String) throws {
        let body = try #require(Body(layout: layout))
        let c = body.dimensions
        func length(_ pose: [Double], _ joint: Int) -> Double {
            let parent = body.parents[joint]
            return (0..<c).map { pose[joint * c + $0] - pose[parent * c + $0] }.map { $0 * $0 }.reduce(0, +).squareRoot()
        }
        for classIndex in 0..<6 {
            let motion = Motion(classIndex: classIndex, body: body, rng: CounterRNG(seed: 1, stream: 2).substream(UInt64(classIndex)))
            let rest = body.pose(motion: motion, time: 0, phase: 0, amplitude: 0)
            var moved = false
            for time in stride(from: 0.0, to: 2.0, by: 0.1) {
                let pose = body.pose(motion: motion, time: time, phase: 0.3, amplitude: 1)
                for joint in body.parents.indices where body.parents[joint] >= 0 {
                    #expect(abs(length(pose, joint) - length(rest, joint)) < 1e-9)
                }
                if zip(pose, rest).contains(where: { abs($0 - $1) > 0.01 }) { moved = true }
            }
            #expect(moved, "class \(classIndex) moves")
        }
    }

    @Test func oneXFormatHoldsTrainAndValSplits() throws {
        let recipe = SyntheticRecipe(layout: "coco", classes: 2, trainCount: 6, valCount: 4, frames: 8, persons: 1, seed: 0)
        let file = try Self.write(recipe, format: .v1x).appending(path: "annotations.pkl")
        #expect(try AnnotationFile.splits(of: file) == ["train", "val"])
        #expect(try AnnotationFile.load(file, split: "val").samples.count == 4)
    }
}
