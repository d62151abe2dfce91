// What a published run's training log states about its recipe, read from a copy on this machine (the zoo's
// `Training Log` / `Training Json Log` downloaded into `$SKELZOO_HOME/logs/`, or a path given with `--log`).
//
// Three formats, told apart by their content:
// 1. MMAction2 0.x text log (`<timestamp>.log`, MMCV's logger and TextLoggerHook): `tools/train.py` writes the
//    environment (`GPU 0,1: Tesla V100-SXM2-32GB`, the GPUs *visible* to rank 0, not necessarily all used),
//    `Distributed training: True|False`, the config dump (`videos_per_gpu=16`), `Set random seed to S`, then per
//    logged iteration `Epoch [e][i/N]\tlr: 1.000e-01, ..., loss: 1.2345`, where N is the rank's iterations per epoch
//    (len(data_loader)), and per validation `Epoch(val) [e][n]\ttop1_acc: 0.8691, ...`.
// 2. MMAction2 0.x json log (`<timestamp>.log.json`, TextLoggerHook): a first line with runner.meta
//    (`env_info`, `seed`, `config_name`, `work_dir`), then one JSON object per logged iteration,
//    `{"mode": "train", "epoch": e, "iter": i, "lr": ..., "loss": ...}` with i the iteration within the epoch logged
//    every `interval` iterations (the remainder of an epoch is not logged: ignore_last=True), and per validation
//    `{"mode": "val", "epoch": e, ..., "top1_acc": ...}`. It states no iteration count per epoch and no world size.
// 3. MMAction2 1.x `vis_data/scalars.json` (MMEngine): `{"lr": ..., "loss": ..., "epoch": e, "iter": i, "step": i}`
//    with i the global iteration, and validation lines with `acc/top1` keys. Read for epochs, lr and scores only.
//
// Nothing is inferred that the log does not state, except one arithmetic consequence: the iterations per epoch N of
// a text log, with the training set's size L and the per-GPU batch B, fix the world size G by
// N = ceil(ceil(L / G) / B) (DistributedSampler's padding, drop_last=False), listed as the GPU counts consistent with
// the log. A json log's last logged iteration bounds N to [i, i + interval).
import Foundation

/// Recipe facts one training log states.
public struct TrainingLogFacts: Sendable, Equatable {
    public enum Format: String, Sendable {
        case mmaction0xText = "MMAction2 0.x text log"
        case mmaction0xJSON = "MMAction2 0.x json log"
        case mmengineScalars = "MMAction2 1.x scalars.json"
    }

    /// lr at the first logged iteration of an epoch.
    public struct EpochRate: Sendable, Equatable {
        public var epoch: Int
        public var learningRate: Double
    }

    public var file: String
    public var format: Format
    /// `GPU 0,1: Tesla V100-SXM2-32GB` lines of the environment: the GPUs rank 0 could see.
    public var visibleGPUs: [String] = []
    /// `Distributed training: True` (a DDP launch, slurm or pytorch).
    public var distributed: Bool?
    /// `videos_per_gpu` of the config dump.
    public var perGPUBatch: Int?
    public var seed: Int?
    /// Iterations per epoch as logged (`Epoch [e][i/N]`): exact for text logs.
    public var iterationsPerEpoch: Int?
    /// Json logs: the largest iteration logged within an epoch, and the logging interval.
    public var lastLoggedIteration: Int?
    public var logInterval: Int?
    /// The largest epoch with a logged training iteration.
    public var epochs: Int?
    /// lr by epoch, each epoch where it changed (and the first).
    public var learningRates: [EpochRate] = []
    /// The last validation's metrics (fractions, MMAction2's names) and its epoch.
    public var lastValidation: [String: Double] = [:]
    public var lastValidationEpoch: Int?

    /// Number of GPUs visible to rank 0, summed over the environment's `GPU a,b,...: name` lines.
    public var visibleGPUCount: Int? {
        guard !visibleGPUs.isEmpty else { return nil }
        return visibleGPUs.reduce(0) { count, line in
            count + (line.dropFirst(4).split(separator: ":").first.map { $0.split(separator: ",").count } ?? 0)
        }
    }

    /// The GPU counts (1...``maxGPUs``) whose DistributedSampler layout gives the logged iterations per epoch for
    /// `trainingSamples` samples per epoch (training set x RepeatDataset) at `perGPUBatch`; empty when the log states
    /// no iteration count.
    public func consistentGPUCounts(trainingSamples: Int, perGPUBatch: Int) -> [Int] {
        guard trainingSamples >= 1, perGPUBatch >= 1 else { return [] }
        func iterations(_ gpus: Int) -> Int { ((trainingSamples + gpus - 1) / gpus + perGPUBatch - 1) / perGPUBatch }
        if let exact = iterationsPerEpoch {
            return (1...Self.maxGPUs).filter { iterations($0) == exact }
        }
        if let last = lastLoggedIteration, let interval = logInterval {
            return (1...Self.maxGPUs).filter { iterations($0) >= last && iterations($0) < last + interval }
        }
        return []
    }

    /// The largest world size considered.
    public static let maxGPUs = 1024
    /// The largest log read (released logs are a few MB).
    public static let maxBytes = 256 << 20

    /// What the log states, in lines for `show` and the report.
    public var lines: [String] {
        var lines = ["training log: \(file) (\(format.rawValue))"]
        if !visibleGPUs.isEmpty {
            lines.append("  GPUs visible to rank 0: \(visibleGPUs.joined(separator: "; ")) (the machine's, not necessarily the run's)")
        }
        if let distributed { lines.append("  distributed training: \(distributed ? "yes (DDP)" : "no (one process)")") }
        if let perGPUBatch { lines.append("  videos_per_gpu: \(perGPUBatch)") }
        if let seed { lines.append("  seed: \(seed)") }
        if let iterationsPerEpoch { lines.append("  iterations per epoch: \(iterationsPerEpoch)") }
        if let last = lastLoggedIteration, let interval = logInterval {
            lines.append("  last logged iteration of an epoch: \(last) (logged every \(interval))")
        }
        if let epochs { lines.append("  epochs logged: \(epochs)") }
        if !learningRates.isEmpty {
            lines.append("  lr: " + learningRates.map { "epoch \($0.epoch): \($0.learningRate)" }.joined(separator: ", "))
        }
        if let epoch = lastValidationEpoch {
            lines.append("  last validation (epoch \(epoch)): " + lastValidation.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        return lines
    }

    /// Reads the log at `url`.
    /// - Throws: ``ConfigError`` naming the file when it cannot be read, is too large, or is in none of the formats.
    public static func read(_ url: URL) throws(ConfigError) -> TrainingLogFacts {
        let data: Data
        do {
            let size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
            guard size <= maxBytes else {
                throw ConfigError(file: url.path, line: nil, key: "", message: "the log is \(size) bytes, more than the \(maxBytes) a training log may have")
            }
            data = try Data(contentsOf: url)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(file: url.path, line: nil, key: "", message: "cannot read the training log: \((error as NSError).localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: url.path, line: nil, key: "", message: "the training log is not UTF-8 text")
        }
        return try parse(text, file: url.path)
    }

    /// Parses a log's text (see the file comment for the formats).
    public static func parse(_ text: String, file: String) throws(ConfigError) -> TrainingLogFacts {
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard let first = lines.first(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
            throw ConfigError(file: file, line: nil, key: "", message: "the training log is empty")
        }
        if first.hasPrefix("{") {
            let objects = lines.compactMap { line -> [String: Any]? in
                // Python's json writes NaN and Infinity, which are not JSON: such a line is skipped, not guessed at.
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) else { return nil }
                return object as? [String: Any]
            }
            if objects.contains(where: { $0["mode"] != nil }) || objects.first?["env_info"] != nil {
                return parseMMCVJSON(objects, file: file)
            }
            if objects.contains(where: { $0["step"] != nil }) { return parseScalars(objects, file: file) }
            throw ConfigError(file: file, line: 1, key: "", message: "a JSON-lines file, but neither an MMAction2 0.x json log (mode/epoch/iter lines) nor a 1.x scalars.json (step lines)")
        }
        if lines.contains(where: { $0.contains(" - INFO - ") }) { return parseMMCVText(lines, file: file) }
        throw ConfigError(file: file, line: 1, key: "", message: "not a training log of MMAction2 0.x (text or json) or 1.x (scalars.json)")
    }

    // MARK: - Formats

    static func parseMMCVText(_ lines: [String], file: String) -> TrainingLogFacts {
        var facts = TrainingLogFacts(file: file, format: .mmaction0xText)
        var rates: [Int: Double] = [:]
        for line in lines {
            let message = line.range(of: " - INFO - ").map { String(line[$0.upperBound...]) } ?? line
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("GPU "), trimmed.contains(":"), facts.iterationsPerEpoch == nil { facts.visibleGPUs.append(trimmed) }
            if message.hasPrefix("Distributed training: ") { facts.distributed = message.hasSuffix("True") }
            if message.hasPrefix("Set random seed to ") {
                facts.seed = Int(message.dropFirst("Set random seed to ".count).prefix { $0.isNumber || $0 == "-" })
            }
            if facts.perGPUBatch == nil, trimmed.hasPrefix("videos_per_gpu=") {
                facts.perGPUBatch = Int(trimmed.dropFirst("videos_per_gpu=".count).prefix(while: \.isNumber))
            }
            if message.hasPrefix("Epoch ["), let numbers = bracketNumbers(message), numbers.count == 3 {
                let (epoch, total) = (numbers[0], numbers[2])
                facts.iterationsPerEpoch = facts.iterationsPerEpoch ?? total
                facts.epochs = max(facts.epochs ?? 0, epoch)
                if rates[epoch] == nil, let lr = field("lr", in: message) { rates[epoch] = lr }
            } else if message.hasPrefix("Epoch(val) ["), let numbers = bracketNumbers(message), let epoch = numbers.first {
                facts.lastValidationEpoch = epoch
                facts.lastValidation = [:]
                for name in ["top1_acc", "top5_acc", "mean_class_accuracy"] {
                    if let value = field(name, in: message) { facts.lastValidation[name] = value }
                }
            }
        }
        facts.learningRates = changes(rates)
        return facts
    }

    static func parseMMCVJSON(_ objects: [[String: Any]], file: String) -> TrainingLogFacts {
        var facts = TrainingLogFacts(file: file, format: .mmaction0xJSON)
        var rates: [Int: Double] = [:]
        var iterationsByEpoch: [Int: [Int]] = [:]
        for object in objects {
            if let env = object["env_info"] as? String {
                facts.visibleGPUs = env.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("GPU ") && $0.contains(":") }
                facts.seed = object["seed"] as? Int
                continue
            }
            guard let mode = object["mode"] as? String, let epoch = object["epoch"] as? Int else { continue }
            if mode == "train", let iteration = object["iter"] as? Int {
                iterationsByEpoch[epoch, default: []].append(iteration)
                facts.epochs = max(facts.epochs ?? 0, epoch)
                if rates[epoch] == nil, let lr = object["lr"] as? Double { rates[epoch] = lr }
            } else if mode == "val" {
                facts.lastValidationEpoch = epoch
                facts.lastValidation = object.compactMapValues { $0 as? Double }.filter { !["lr", "time", "data_time", "memory"].contains($0.key) }
            }
        }
        // The last epoch may be cut short (a log copied mid-run); the others bound the iterations per epoch alike.
        let complete = iterationsByEpoch.filter { $0.key != facts.epochs || iterationsByEpoch.count == 1 }
        facts.lastLoggedIteration = complete.values.compactMap { $0.max() }.max()
        // TextLoggerHook logs when (inner_iter + 1) is a multiple of the interval, so an epoch's first logged iteration is
        // the interval (differences between lines are not: a line Python wrote with NaN is skipped).
        facts.logInterval = complete.values.compactMap { $0.min() }.min()
        facts.learningRates = changes(rates)
        return facts
    }

    static func parseScalars(_ objects: [[String: Any]], file: String) -> TrainingLogFacts {
        var facts = TrainingLogFacts(file: file, format: .mmengineScalars)
        var rates: [Int: Double] = [:]
        for object in objects {
            if let epoch = object["epoch"] as? Int, object["loss"] != nil {
                facts.epochs = max(facts.epochs ?? 0, epoch)
                if rates[epoch] == nil, let lr = object["lr"] as? Double { rates[epoch] = lr }
            } else if object.keys.contains(where: { $0.hasPrefix("acc/") }) {
                facts.lastValidationEpoch = facts.epochs
                facts.lastValidation = object.compactMapValues { $0 as? Double }.filter { $0.key.hasPrefix("acc/") }
            }
        }
        facts.learningRates = changes(rates)
        return facts
    }

    // MARK: - Helpers

    /// `Epoch [3][20/1253]\t...` -> [3, 20, 1253]; `Epoch(val) [5][545]` -> [5, 545].
    static func bracketNumbers(_ message: String) -> [Int]? {
        let head = message[..<(message.firstIndex(of: "\t") ?? message.endIndex)]
        let numbers = head.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        return numbers.isEmpty ? nil : numbers
    }

    /// `name: 1.000e-01` in a logged message.
    static func field(_ name: String, in message: String) -> Double? {
        for part in message.split(whereSeparator: { $0 == "," || $0 == "\t" }) {
            let pair = part.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0] == name { return Double(pair[1]) }
        }
        return nil
    }

    /// The epochs where the lr changed, with the first.
    static func changes(_ rates: [Int: Double]) -> [EpochRate] {
        var result: [EpochRate] = []
        for (epoch, rate) in rates.sorted(by: { $0.key < $1.key }) where result.last?.learningRate != rate {
            result.append(EpochRate(epoch: epoch, learningRate: rate))
        }
        return result
    }
}
