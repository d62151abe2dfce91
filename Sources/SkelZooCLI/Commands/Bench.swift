import ArgumentParser
import Foundation
import ZooRunner
import ZooSTGCN

extension SkelZoo {
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure ST-GCN throughput at an entry's shape, beside cblas_sgemm in the same run.",
            discussion: """
            Random weights and inputs; one warm-up step, then steps for at least --seconds. Reports samples/s,
            achieved GFLOP/s (2 FLOPs per multiply-add: 22.9 GFLOP per NTU-60 2D sample forward at T=300, three
            times that for a training step) and that as a fraction of a 2048^3 cblas_sgemm measured with the same
            thread count. Peak RSS is the whole process's, measured before the sgemm.

            Examples:
              skelzoo bench --mode eval --threads 2
              skelzoo bench stgcn_80e_babel60 --mode train --batch-size 16 --json
            """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Zoo entry whose config gives the model shape.")
        var entry: String = "stgcn_80e_ntu60_xsub_keypoint"

        @Option(help: "eval (forward) or train (forward, loss, backward, SGD step).")
        var mode: String = "eval"

        @Option(help: "Worker threads.")
        var threads: Int = ProcessInfo.processInfo.activeProcessorCount

        @Option(help: "Samples per step.")
        var batchSize: Int = 16

        @Option(help: "Frames per sample (T).")
        var frames: Int = 300

        @Option(help: "Measure for at least this many seconds after the warm-up.")
        var seconds: Double = 10

        @Flag(help: "Print a JSON object.")
        var json = false

        func validate() throws {
            guard ["eval", "train"].contains(mode) else { throw ValidationError("--mode must be eval or train") }
            guard threads >= 1, batchSize >= 1, frames >= 1 else { throw ValidationError("--threads, --batch-size and --frames must be at least 1") }
        }

        func run() throws {
            try Console.run {
                let context = try ZooContext(global)
                let zooEntry = try context.entry(named: entry)
                let config = try context.sources.config(for: zooEntry)
                let configuration = STGCNConfiguration(config.model)
                let threads = self.threads
                let result: Throughput.Result
                if mode == "eval" {
                    result = Throughput.measure(mode: mode, configuration: configuration, batchSize: batchSize, frames: frames,
                                                threads: threads, minSeconds: seconds) { model, input in
                        _ = model.forward(input, threads: threads)
                    }
                } else {
                    result = try Throughput.measureTraining(config: config, batchSize: batchSize, frames: frames, threads: threads, minSeconds: seconds)
                }
                if json {
                    print(try Console.json(result))
                } else {
                    print("\(zooEntry.name) \(mode): batch \(batchSize), T=\(frames), \(threads) thread(s), \(result.iterations) steps in \(String(format: "%.1f", result.seconds)) s")
                    print("  samples/s        \(String(format: "%.3f", result.samplesPerSecond))")
                    print("  GFLOP/s          \(String(format: "%.1f", result.gflopPerSecond))")
                    print("  sgemm GFLOP/s    \(String(format: "%.1f", result.sgemmGflopPerSecond))  (2048^3, \(threads) thread(s))")
                    print("  fraction of sgemm \(String(format: "%.2f", result.gflopPerSecond / result.sgemmGflopPerSecond))")
                    print("  peak RSS         \(String(format: "%.0f", result.peakRSSMegabytes)) MiB")
                }
            }
        }
    }
}
