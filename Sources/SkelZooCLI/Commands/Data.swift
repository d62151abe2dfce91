import ArgumentParser
import Foundation
import ZooHarness

extension SkelZoo {
    struct DataCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "data",
            abstract: "Make datasets.",
            subcommands: [Synth.self])

        struct Synth: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write a synthetic skeleton dataset as MMAction2 annotation pickles.",
                discussion: """
                Each class is a motion of the layout's kinematic tree (a few joints swing with class-specific angles and
                rhythm; bones keep their length); samples vary in speed, phase, amplitude, scale, position, a second person
                and noise. Deterministic from --seed. 0.x format writes train.pkl and val.pkl (lists of dicts); 1.x writes
                annotations.pkl with splits 'train' and 'val'. 2-D (coco) data has pixel x/y and keypoint_score; 3-D
                (ntu-rgb+d) data has x/y/z in metres.

                Examples:
                  skelzoo data synth --layout coco --classes 8 --train 400 --val 160 --frames 64 --persons 2 --seed 0 --out data/synth
                  skelzoo data synth --layout ntu-rgb+d --classes 10 --train 500 --val 200 --frames 48 --persons 1 --seed 1 --imbalance 10 --out data/lt
                """)

            @Option(help: "coco or ntu-rgb+d.") var layout: String
            @Option(help: "Number of classes.") var classes: Int
            @Option(help: "Training samples.") var train: Int
            @Option(help: "Validation samples.") var val: Int
            @Option(help: "Frames per sample.") var frames: Int
            @Option(help: "Persons per sample (the second appears in about half of the samples).") var persons: Int = 2
            @Option(help: "Seed.") var seed: Int = 0
            @Option(help: "Ratio between the most and least frequent class (1 = balanced).") var imbalance: Double = 1
            @Option(help: "0.x or 1.x.") var format: String = "0.x"
            @Option(help: "Output folder.") var out: String

            func validate() throws {
                guard ["coco", "ntu-rgb+d"].contains(layout) else { throw ValidationError("--layout must be coco or ntu-rgb+d") }
                guard classes >= 1, train >= classes, val >= 1, frames >= 1, persons >= 1, seed >= 0 else {
                    throw ValidationError("need --classes >= 1, --train >= --classes, --val >= 1, --frames >= 1, --persons >= 1, --seed >= 0")
                }
                guard imbalance >= 1 else { throw ValidationError("--imbalance must be >= 1") }
                guard SyntheticData.formats.contains(format) else { throw ValidationError("--format must be 0.x or 1.x") }
                if let problem = recipe.limitViolation { throw ValidationError(problem) }
            }

            var recipe: SyntheticData.Request {
                SyntheticData.Request(layout: layout, classes: classes, trainCount: train, valCount: val, frames: frames,
                                      persons: persons, seed: UInt64(seed), imbalance: imbalance)
            }

            func run() throws {
                try Console.run {
                    let files = try SyntheticData.write(recipe, to: URL(fileURLWithPath: out), format: format)
                    for file in files { try Console.output(file.path) }
                }
            }
        }
    }
}
