import ArgumentParser
import Foundation
import ZooRunner
import ZooSTGCN
import ZooTensor

extension SkelZoo {
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure ST-GCN throughput at an entry's shape, beside OpenBLAS sgemm in the same run.",
            discussion: """
            eval and train: random weights and inputs; one warm-up step, then steps for at least --seconds. Reports
            samples/s, achieved GFLOP/s (2 FLOPs per multiply-add: 22.9 GFLOP per NTU-60 2D sample forward at T=300,
            three times that for a training step) and that as a fraction of a 2048^3 OpenBLAS sgemm measured with
            the same thread count. Peak RSS is the whole process's, measured before the sgemm. The arithmetic and
            GEMM kernel in use are printed (see --backend and --isa).

            gemm: SkelZoo's GEMM (the selected ISA) against OpenBLAS at every GEMM shape of a training step at
            --frames, with --threads independent single-threaded GEMMs at once (as ST-GCN runs them).

            Examples:
              skelzoo bench --mode eval --threads 2
              SKELZOO_ISA=avx2 skelzoo bench --mode gemm --frames 100 --threads 1
              skelzoo bench stgcn_80e_babel60 --mode train --batch-size 16 --json
            """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Zoo entry whose config gives the model shape.")
        var entry: String = "stgcn_80e_ntu60_xsub_keypoint"

        @Option(help: "eval (forward), train (forward, loss, backward, SGD step) or gemm (GEMM shapes against OpenBLAS).")
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
            guard ["eval", "train", "gemm"].contains(mode) else { throw ValidationError("--mode must be eval, train or gemm") }
            guard threads >= 1, batchSize >= 1, frames >= 1 else { throw ValidationError("--threads, --batch-size and --frames must be at least 1") }
        }

        func run() throws {
            try Console.run {
                try global.applyArithmetic()
                let context = try ZooContext(global)
                let zooEntry = try context.entry(named: entry)
                let config = try context.sources.config(for: zooEntry)
                let configuration = STGCNConfiguration(config.model)
                let threads = self.threads
                if mode == "gemm" {
                    let results = Throughput.measureGEMM(Throughput.gemmShapes(configuration, frames: frames), threads: threads)
                    if json {
                        print(try Console.json(results))
                        return
                    }
                    print("\(zooEntry.name) GEMM shapes at T=\(frames), \(threads) thread(s): SkelZoo \(results.first?.isa ?? "-") vs OpenBLAS \(OpenBLAS.coreName)")
                    for result in results {
                        print("  \(result.shape.label.padding(toLength: 30, withPad: " ", startingAt: 0)) ours \(String(format: "%6.1f", result.oursGflopPerSecond))  openblas \(String(format: "%6.1f", result.openBLASGflopPerSecond)) GFLOP/s  ratio \(String(format: "%.2f", result.ratio))")
                    }
                    let ours = results.map { $0.shape.flops / $0.oursGflopPerSecond }.reduce(0, +)
                    let theirs = results.map { $0.shape.flops / $0.openBLASGflopPerSecond }.reduce(0, +)
                    print("  all shapes, FLOP-weighted: ours/openblas = \(String(format: "%.2f", theirs / ours))")
                    return
                }
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
                    print("  arithmetic       \(result.arithmetic), GEMM kernel \(result.kernel) (CPU ISAs: \(Arithmetic.ISA.available.map(\.rawValue).joined(separator: ", ")))")
                    print("  samples/s        \(String(format: "%.3f", result.samplesPerSecond))")
                    print("  GFLOP/s          \(String(format: "%.1f", result.gflopPerSecond))")
                    print("  sgemm GFLOP/s    \(String(format: "%.1f", result.sgemmGflopPerSecond))  (OpenBLAS \(OpenBLAS.coreName), 2048^3, \(threads) thread(s))")
                    print("  fraction of sgemm \(String(format: "%.2f", result.gflopPerSecond / result.sgemmGflopPerSecond))")
                    let bestFraction = result.gflopPerSecond * result.bestStepSamplesPerSecond / result.samplesPerSecond / result.sgemmGflopPerSecond
                    print("  fastest step     \(String(format: "%.3f", result.bestStepSamplesPerSecond)) samples/s, \(String(format: "%.2f", bestFraction)) of sgemm (on a shared machine, beside the best-of-3 sgemm)")
                    print("  peak RSS         \(String(format: "%.0f", result.peakRSSMegabytes)) MiB")
                }
            }
        }
    }
}
