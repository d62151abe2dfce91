import ArgumentParser
import Foundation
import ZooHarness

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

        @OptionGroup var threading: ThreadsOption

        @Option(help: "Samples per step.")
        var batchSize: Int = 16

        @Option(help: "Frames per sample (T).")
        var frames: Int = 300

        @Option(help: "Measure for at least this many seconds after the warm-up.")
        var seconds: Double = 10

        @Flag(help: "Print a JSON object.")
        var json = false

        func validate() throws {
            guard Benchmark.Mode(rawValue: mode) != nil else { throw ValidationError("--mode must be eval, train or gemm") }
            guard batchSize >= 1, frames >= 1 else { throw ValidationError("--batch-size and --frames must be at least 1") }
        }

        func run() throws {
            try Console.run {
                try global.applyArithmetic()
                let context = try global.context()
                let zooEntry = try context.entry(named: entry)
                let config = try context.sources.config(for: zooEntry)
                let request = Benchmark.Request(mode: Benchmark.Mode(rawValue: mode) ?? .eval, threads: threading.threads, batchSize: batchSize,
                                                frames: frames, seconds: seconds)
                let report = try Benchmark.run(request, entryName: zooEntry.name, config: config)
                if json {
                    print(try Console.json(report.json))
                } else {
                    for line in report.lines { print(line) }
                }
            }
        }
    }
}
