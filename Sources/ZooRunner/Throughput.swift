// N samples, C channels, T frames, V joints, M persons.
import Foundation
import ZooConfig
import ZooSTGCN
import ZooTensor
#if canImport(Glibc)
import Glibc
#endif

/// Throughput measurements for `skelzoo bench`: ST-GCN eval or training steps on random weights and inputs,
/// beside OpenBLAS's sgemm measured in the same run (the yardstick), and SkelZoo's GEMM against OpenBLAS at
/// ST-GCN's own GEMM shapes.
public enum Throughput {
    public struct Result: Sendable, Codable {
        public var mode: String
        public var threads: Int
        public var batchSize: Int
        public var frames: Int
        public var samplesPerSecond: Double
        /// The fastest single step's rate: on a shared machine, the one to set beside the best-of-three sgemm.
        public var bestStepSamplesPerSecond: Double
        public var gflopPerSecond: Double
        public var sgemmGflopPerSecond: Double
        public var peakRSSMegabytes: Double
        public var iterations: Int
        public var seconds: Double
        /// `portable-1` or `openblas/<core>`, and the GEMM kernel (ISA or OpenBLAS core).
        public var arithmetic: String
        public var kernel: String

        enum CodingKeys: String, CodingKey {
            case mode, threads, iterations, seconds, arithmetic, kernel
            case batchSize = "batch_size", frames, samplesPerSecond = "samples_per_s", gflopPerSecond = "gflop_per_s"
            case bestStepSamplesPerSecond = "best_step_samples_per_s"
            case sgemmGflopPerSecond = "sgemm_gflop_per_s", peakRSSMegabytes = "peak_rss_mb"
        }
    }

    /// FLOPs (2 per multiply-add) of one forward pass of one sequence (one person), counting the 1x1 graph
    /// convolutions, the einsum with A as a dense (K, V, V) product, the 9x1 convolutions, the residual 1x1
    /// convolutions and the classifier — the count performance.md uses (11.4 GFLOP for NTU-60 2D at T=300).
    public static func forwardFLOPs(_ configuration: STGCNConfiguration, frames: Int) -> Double {
        let v = Double(configuration.layout.jointCount), k = Double(configuration.graph.partitions)
        var t = frames
        var macs = 0.0
        for i in configuration.channels.indices {
            let cin = Double(configuration.blockInput(i)), cout = Double(configuration.channels[i])
            let tOut = (t - 1) / configuration.strides[i] + 1
            macs += Double(t) * v * cin * k * cout          // gcn 1x1
            macs += k * cout * Double(t) * v * v           // einsum with A
            macs += Double(tOut) * v * cout * cout * 9     // tcn 9x1
            if configuration.residual(i) == .convolution { macs += Double(tOut) * v * cin * cout }
            t = tOut
        }
        macs += Double(configuration.channels.last ?? 0) * Double(configuration.numClasses) / Double(configuration.numPerson)
        return 2 * macs
    }

    /// OpenBLAS sgemm GFLOP/s at n x n x n using `threads` threads (best of a few repetitions).
    public static func sgemm(size n: Int = 2048, threads: Int, repetitions: Int = 3) -> Double {
        OpenBLAS.setThreads(threads)
        defer { OpenBLAS.setThreads(1) }
        let rng = CounterRNG(seed: 1, stream: 99)
        let a = (0..<n * n).map { rng.uniform(UInt64($0)) - 0.5 }
        let b = (0..<n * n).map { rng.uniform(UInt64($0 + n * n)) - 0.5 }
        var c = [Float](repeating: 0, count: n * n)
        var best = 0.0
        for _ in 0..<repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        OpenBLAS.sgemm(c.baseAddress!, a.baseAddress!, b.baseAddress!, m: n, n: n, k: n)
                    }
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = max(best, 2 * Double(n) * Double(n) * Double(n) / seconds / 1e9)
        }
        return best
    }

    /// Peak resident set size of this process so far, in MiB.
    public static var peakRSSMegabytes: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// A random input batch (N, C, T, V, M) in a plausible range.
    public static func randomInput(_ configuration: STGCNConfiguration, batchSize: Int, frames: Int, seed: UInt64 = 7) -> Tensor {
        let shape = [batchSize, configuration.inChannels, frames, configuration.layout.jointCount, configuration.numPerson]
        let rng = CounterRNG(seed: seed, stream: 5)
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, storage: (0..<count).map { rng.uniform(UInt64($0)) * 2 - 1 })
    }

    /// Measures eval forwards: one warm-up, then iterations until `minSeconds` have passed (at least `minIterations`).
    public static func measure(mode: String, configuration: STGCNConfiguration, batchSize: Int, frames: Int, threads: Int,
                               minIterations: Int = 2, minSeconds: Double = 10, step: (inout STGCN, Tensor) -> Void) -> Result {
        OpenBLAS.setThreads(1)
        var model = STGCN(configuration)
        model.initialize(rng: CounterRNG(seed: 0, stream: 1))
        let input = randomInput(configuration, batchSize: batchSize, frames: frames)
        step(&model, input)  // warm-up
        var iterations = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0, fastest = Double.infinity
        while iterations < minIterations || elapsed < minSeconds {
            let stepStart = DispatchTime.now().uptimeNanoseconds
            step(&model, input)
            iterations += 1
            let now = DispatchTime.now().uptimeNanoseconds
            fastest = min(fastest, Double(now - stepStart) / 1e9)
            elapsed = Double(now - start) / 1e9
        }
        let samplesPerSecond = Double(iterations * batchSize) / elapsed
        let flopsPerSample = forwardFLOPs(configuration, frames: frames) * Double(configuration.numPerson) * (mode == "train" ? 3 : 1)
        let peak = peakRSSMegabytes
        let sgemm = sgemm(threads: threads)
        return Result(mode: mode, threads: threads, batchSize: batchSize, frames: frames, samplesPerSecond: samplesPerSecond,
                      bestStepSamplesPerSecond: Double(batchSize) / fastest, gflopPerSecond: samplesPerSecond * flopsPerSample / 1e9, sgemmGflopPerSecond: sgemm,
                      peakRSSMegabytes: peak, iterations: iterations, seconds: elapsed,
                      arithmetic: Arithmetic.label, kernel: Arithmetic.kernelName)
    }
}

extension Throughput {
    /// Measures full training steps (forward in train mode, the config's loss, backward, SGD) on random data.
    public static func measureTraining(config: ExperimentConfig, batchSize: Int, frames: Int, threads: Int, minSeconds: Double) throws -> Result {
        let configuration = STGCNConfiguration(config.model)
        let loss = Loss(config.model.loss)
        let labels = (0..<batchSize).map { $0 % configuration.numClasses }
        var optimizer = SGD(momentum: Float(config.optimizer.momentum), weightDecay: Float(config.optimizer.weightDecay), nesterov: config.optimizer.nesterov)
        let workspace = TrainingWorkspace()  // reused across steps, as the trainer does
        return measure(mode: "train", configuration: configuration, batchSize: batchSize, frames: frames, threads: threads, minSeconds: minSeconds) { model, input in
            let (logits, _, saved) = model.forward(input, training: true, threads: threads, workspace: workspace)
            let (_, dLogits) = loss.forward(logits, labels: labels)
            var gradients = model.zeroGradients()
            guard let saved else { return }
            model.backward(dLogits, saved, into: &gradients, threads: threads)
            optimizer.step(&model, gradients, lr: 0.01)
        }
    }
}
