// Late fusion of per-stream test results (joint, bone, joint-motion, bone-motion), as MMAction2 1.x
// `tools/analysis_tools/report_accuracy.py` computes it for the READMEs' two- and four-stream rows.
//
// Upstream, for streams s with coefficients c_s and per-sample `pred_score` p_s (float32, already the 10-clip mean
// softmax for `average_clips='prob'`):
//   fused = np.dot(np.array(score_list).T, np.array(coefficients)).T   (mmaction/evaluation/functional/accuracy.py
//   get_weighted_score): every product float32 -> float64, summed over streams in float64;
//   `--apply-softmax` (off in the README's recipe) first applies scipy's softmax to each stream's row;
//   then top_k_accuracy(fused, labels, (1, 5)) and mean_class_accuracy with the labels of the first file.
// Here the sum runs over streams in the given order in Double (numpy's np.dot may pair the terms differently: the fused
// values can differ in the last bit of a float64, which changes a ranking only on an exact tie); softmax uses
// ``PortableMath/exp(_:)`` in Double where scipy computes in float32 (only with `--apply-softmax`, which the zoo's
// fusion entries do not use); the metrics are ``Metrics``' (MMAction2's rules). Upstream only asserts equal sample counts; SkelZoo also requires every stream
// to list the same samples (frame_dir) with the same labels in the same order, and says where they first differ.
import Foundation
import ZooConfig
import ZooIO
import ZooRunner
import ZooTensor

/// Fuses per-stream result files.
public enum ScoreFusion {
    /// One stream: a result file's samples and its coefficient.
    public struct Stream: Sendable {
        /// What names the stream in messages (the zoo entry, else the file).
        public var name: String
        /// The result file it was read from.
        public var file: String
        public var weight: Double
        public var samples: [Evaluation.Sample]

        public init(name: String, file: String, weight: Double, samples: [Evaluation.Sample]) {
            self.name = name
            self.file = file
            self.weight = weight
            self.samples = samples
        }
    }

    /// The fused scores and MMAction2's metrics over them.
    public struct Result: Sendable {
        /// `top1_acc`, `top5_acc` (one per k), `mean_class_accuracy`, as fractions.
        public var metrics: [(String, Double)]
        public var sampleCount: Int
        public var classCount: Int
        /// Per sample, the weighted sum of the streams' scores.
        public var scores: [[Double]]
    }

    /// A result file as `skelzoo test --out` writes it (`samples[].frame_dir/label/scores`; other keys are ignored).
    struct ResultFile: Decodable {
        var samples: [Evaluation.Sample]
    }

    /// Named bound: a result file larger than this is refused before it is read (NTU120's 50919 samples x 120 classes
    /// in JSON are about 70 MB).
    public static let maxResultFileBytes = 2_000_000_000

    /// Reads the samples of a `skelzoo test --out` file.
    /// - Throws: ``HarnessError`` naming the file when it is missing, too large, not that JSON, or holds no samples.
    public static func loadSamples(_ url: URL) throws -> [Evaluation.Sample] {
        let data: Data
        do {
            let size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
            guard size <= maxResultFileBytes else {
                throw HarnessError("\(url.path): \(size) bytes is more than a result file may hold (\(maxResultFileBytes))")
            }
            data = try Data(contentsOf: url)
        } catch let error as HarnessError {
            throw error
        } catch {
            throw HarnessError("cannot read the result file \(url.path): \((error as NSError).localizedDescription)",
                               hint: "make it with `skelzoo test ENTRY CHECKPOINT --ann-file FILE --out \(url.lastPathComponent)`")
        }
        let file: ResultFile
        do {
            file = try JSONDecoder().decode(ResultFile.self, from: data)
        } catch {
            throw HarnessError("\(url.path) is not a `skelzoo test --out` result file (expected {\"samples\": [{\"frame_dir\", \"label\", \"scores\"}]}): \(describe(error))")
        }
        guard !file.samples.isEmpty else { throw HarnessError("\(url.path): samples is empty; there is nothing to fuse") }
        return file.samples
    }

    /// Fuses `streams` with their weights and computes MMAction2's metrics on the fused scores.
    /// - Parameters:
    ///   - applySoftmax: `--apply-softmax`: softmax each stream's row first.
    ///   - topk: the k of `top_k_accuracy` (MMAction2's tool: 1 and 5).
    /// - Throws: ``HarnessError`` when fewer than two streams are given, a weight is not positive, or the streams do not
    ///   hold the same samples, labels and class count (naming the stream, the sample index and what differs).
    public static func fuse(_ streams: [Stream], applySoftmax: Bool, topk: [Int] = [1, 5]) throws -> Result {
        guard streams.count >= 2 else { throw HarnessError("fusion needs at least two streams, got \(streams.count)") }
        for stream in streams where !(stream.weight.isFinite && stream.weight > 0) {
            throw HarnessError("stream \(stream.name): weight \(stream.weight) must be a number > 0")
        }
        let reference = streams[0]
        let classCount = reference.samples.first?.scores.count ?? 0
        guard classCount > 0 else { throw HarnessError("\(reference.file): sample 0 has no scores") }
        for stream in streams {
            guard stream.samples.count == reference.samples.count else {
                throw HarnessError("\(stream.file) (\(stream.name)) has \(stream.samples.count) samples, \(reference.file) (\(reference.name)) has \(reference.samples.count)",
                                   hint: "test every stream on the same annotation file and split")
            }
            for (index, (sample, first)) in zip(stream.samples, reference.samples).enumerated() {
                guard sample.frameDirectory == first.frameDirectory else {
                    throw HarnessError("\(stream.file) (\(stream.name)): sample \(index) is '\(sample.frameDirectory)', \(reference.file) has '\(first.frameDirectory)'",
                                       hint: "the streams must list the same samples in the same order: test each on the same annotation file and split")
                }
                guard sample.label == first.label else {
                    throw HarnessError("\(stream.file) (\(stream.name)): sample \(index) ('\(sample.frameDirectory)') has label \(sample.label), \(reference.file) has \(first.label)")
                }
                guard sample.scores.count == classCount else {
                    throw HarnessError("\(stream.file) (\(stream.name)): sample \(index) ('\(sample.frameDirectory)') has \(sample.scores.count) scores, expected \(classCount) classes")
                }
                guard sample.scores.allSatisfy(\.isFinite) else {
                    throw HarnessError("\(stream.file) (\(stream.name)): sample \(index) ('\(sample.frameDirectory)') has a score that is not finite")
                }
            }
        }
        var fused = [[Double]](repeating: [Double](repeating: 0, count: classCount), count: reference.samples.count)
        for stream in streams {
            for (index, sample) in stream.samples.enumerated() {
                let row = applySoftmax ? softmax(sample.scores) : sample.scores.map(Double.init)
                for c in 0..<classCount { fused[index][c] += row[c] * stream.weight }
            }
        }
        let labels = reference.samples.map(\.label)
        let metrics = Metrics.evaluate(["top_k_accuracy", "mean_class_accuracy"], topk: topk, scores: fused, labels: labels)
        return Result(metrics: metrics, sampleCount: labels.count, classCount: classCount, scores: fused)
    }

    /// scipy.special.softmax of one row: exp(x - max) / sum, in Double with the portable exp (summed in class order).
    static func softmax(_ row: [Float]) -> [Double] {
        let values = row.map(Double.init)
        let top = values.max() ?? 0
        let exps = values.map { PortableMath.exp($0 - top) }
        var sum = 0.0
        for value in exps { sum += value }
        return exps.map { $0 / sum }
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, let context): return "missing key '\(path(context.codingPath + [key]))'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }
}

extension ScoreFusion {
    /// `skelzoo fuse`: fuses one result file per component of `entry`'s fusion (in the components' order) with its
    /// weights, and records the fused metrics as an eval run of `entry` (config hash: over the files' sha256).
    public static func run(_ entry: ZooEntry, fusion: FusionSpec, files: [String], context: ZooContext, log: HarnessLog) throws -> Result {
        var streams: [Stream] = []
        for (component, file) in zip(fusion.components, files) {
            streams.append(Stream(name: component.entry, file: file, weight: component.weight, samples: try loadSamples(URL(fileURLWithPath: file))))
        }
        let hashes = try files.map { try Hashing.sha256(of: URL(fileURLWithPath: $0)) }
        let recorder = try RunRecorder(context: context, entry: entry, mode: .eval, seed: nil, threads: 1,
                                       configHash: Hashing.sha256(Data(hashes.joined(separator: "\n").utf8)), workDir: nil, log: log)
        let result: Result
        do {
            result = try fuse(streams, applySoftmax: fusion.applySoftmax)
        } catch {
            recorder.fail(error)
            throw error
        }
        try recorder.succeed(scores: Dictionary(uniqueKeysWithValues: result.metrics), wallSeconds: 0)
        return result
    }
}
