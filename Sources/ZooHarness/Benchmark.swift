import Foundation
import ZooConfig
import ZooRunner
import ZooSTGCN
import ZooTensor

/// `skelzoo bench`: ST-GCN throughput at an entry's shape, or SkelZoo's GEMM at its shapes, beside OpenBLAS.
public enum Benchmark {
    public enum Mode: String, Sendable, CaseIterable { case eval, train, gemm }

    public struct Request: Sendable {
        public var mode: Mode
        public var threads: Int
        public var batchSize: Int
        public var frames: Int
        /// Measure for at least this long after the warm-up.
        public var seconds: Double

        public init(mode: Mode, threads: Int, batchSize: Int, frames: Int, seconds: Double) {
            self.mode = mode
            self.threads = threads
            self.batchSize = batchSize
            self.frames = frames
            self.seconds = seconds
        }
    }

    /// The measurement: a value for `--json` and the text lines otherwise.
    public struct Report {
        public var json: any Encodable
        public var lines: [String]
    }

    public static func run(_ request: Request, entryName: String, config: ExperimentConfig) throws -> Report {
        let configuration = STGCNConfiguration(config.model)
        let threads = request.threads
        if request.mode == .gemm {
            let results = Throughput.measureGEMM(Throughput.gemmShapes(configuration, frames: request.frames), threads: threads)
            var lines = ["\(entryName) GEMM shapes at T=\(request.frames), \(threads) thread(s): SkelZoo \(results.first?.isa ?? "-") vs OpenBLAS \(OpenBLAS.coreName)"]
            for result in results {
                lines.append("  \(result.shape.label.padding(toLength: 30, withPad: " ", startingAt: 0)) ours \(String(format: "%6.1f", result.oursGflopPerSecond))  openblas \(String(format: "%6.1f", result.openBLASGflopPerSecond)) GFLOP/s  ratio \(String(format: "%.2f", result.ratio))")
            }
            let ours = results.map { $0.shape.flops / $0.oursGflopPerSecond }.reduce(0, +)
            let theirs = results.map { $0.shape.flops / $0.openBLASGflopPerSecond }.reduce(0, +)
            lines.append("  all shapes, FLOP-weighted: ours/openblas = \(String(format: "%.2f", theirs / ours))")
            return Report(json: results, lines: lines)
        }
        let result: Throughput.Result
        if request.mode == .eval {
            result = Throughput.measure(mode: request.mode.rawValue, configuration: configuration, batchSize: request.batchSize, frames: request.frames,
                                        threads: threads, minSeconds: request.seconds) { model, input in
                _ = model.forward(input, threads: threads)
            }
        } else {
            result = try Throughput.measureTraining(config: config, batchSize: request.batchSize, frames: request.frames, threads: threads,
                                                    minSeconds: request.seconds)
        }
        let lines = [
            "\(entryName) \(request.mode.rawValue): batch \(request.batchSize), T=\(request.frames), \(threads) thread(s), \(result.iterations) steps in \(String(format: "%.1f", result.seconds)) s",
            "  arithmetic       \(result.arithmetic), GEMM kernel \(result.kernel) (CPU ISAs: \(Arithmetic.ISA.available.map(\.rawValue).joined(separator: ", ")))",
            "  samples/s        \(String(format: "%.3f", result.samplesPerSecond))",
            "  GFLOP/s          \(String(format: "%.1f", result.gflopPerSecond))",
            "  sgemm GFLOP/s    \(String(format: "%.1f", result.sgemmGflopPerSecond))  (OpenBLAS \(OpenBLAS.coreName), 2048^3, \(threads) thread(s))",
            "  fraction of sgemm \(String(format: "%.2f", result.gflopPerSecond / result.sgemmGflopPerSecond))",
            "  peak RSS         \(String(format: "%.0f", result.peakRSSMegabytes)) MiB",
        ]
        return Report(json: result, lines: lines)
    }
}
