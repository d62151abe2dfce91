import ArgumentParser
import Foundation
import ZooHarness

extension SkelZoo {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train an entry from scratch with a seed, deterministically (as MMAction2's tools/train.py --seed S --deterministic --validate).",
            discussion: """
            The same seed gives the same bits: final weights, every logged loss and every score, with any --threads,
            and when killed and rerun with --resume. The work dir holds latest.pth (every epoch), epoch_N.pth (at the
            config's checkpoint interval), log.jsonl (one JSON line per iteration, validation and epoch) and
            result.json (final metrics and weights_sha256). A run locks its work dir: a second process is refused. With a
            zoo entry the run is recorded in the registry.

            weights_sha256 is SHA-256 over the state_dict in PyTorch's order: for each entry its name in UTF-8, a zero
            byte, then its values' little-endian bytes (float32; int64 for num_batches_tracked).

            --gpus N emulates MMAction2's N-GPU data-parallel training (DDP, broadcast_buffers=False, no SyncBN) on the
            CPU: each step takes N per-GPU batches as DistributedSampler lays them out, each with its own BN statistics and
            mean loss; the gradients are averaged (summed in rank order, then divided by N) for one SGD step; checkpoints
            hold GPU 0's BN statistics as MMAction2's do, and keep the other GPUs' in their meta for --resume. A zoo entry
            defaults to its published GPU count (see `skelzoo show ENTRY`), a config file to 1. --gpus 1 is the
            single-process run.

            MMAction2 1.x entries (ST-GCN 1.x, ST-GCN++, 2s-AGCN) train as their configs say: the train pipeline
            (UniformSampleFrames in train mode, its frame draws keyed by seed, epoch and sample), RepeatDataset,
            DefaultSampler, nesterov SGD, mmengine's cosine lr per iteration, validation each epoch with the val pipeline
            (acc/top1, acc/top5, acc/mean1), then a test of the final weights with the 10-clip test pipeline, whose
            metrics are the run's. They train in one process (--gpus 1) with the published total batch (--total-batch
            to change it): mmengine's multi-GPU DDP is not emulated.

            Examples:
              skelzoo train demo_stgcn_coco2d_ce --seed 0
              skelzoo train demo_stgcn_coco2d_ce --seed 0 --gpus 2
              skelzoo train demo_stgcn_coco2d_ce --seed 0 --work-dir runs/a --resume --threads 2
              skelzoo train stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d --seed 0
            """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "A zoo entry name or a config YAML file.")
        var model: String

        @Option(help: "Random seed (initialisation, shuffling, dropout).")
        var seed: Int

        @Option(help: "Work dir (default: work_dirs/<entry>/seed<N>).")
        var workDir: String?

        @Flag(help: "Continue from the work dir's latest.pth.")
        var resume = false

        @Option(help: "Start from these weights (a .pth state_dict), like MMCV's load_from.")
        var loadFrom: String?

        @Flag(name: .customLong("validate"), inversion: .prefixedNo, help: "Validate at the config's evaluation interval.")
        var runValidation = true

        @OptionGroup var threading: ThreadsOption

        @OptionGroup var data: DataRootOption

        @Option(help: "Emulated GPUs (data parallel, as MMAction2's DDP; default: the entry's published count, else 1).")
        var gpus: Int?

        @Option(help: "Total batch over all GPUs (default: GPUs x the config's videos_per_gpu); must be divisible by --gpus.")
        var totalBatch: Int?

        @Flag(help: "Print result.json to stdout.")
        var json = false

        func validate() throws {
            guard seed >= 0 else { throw ValidationError("--seed must be >= 0") }
            try GPUOptions.validate(gpus: gpus, totalBatch: totalBatch)
        }

        func run() throws {
            try Console.run {
                try global.applyArithmetic()
                let resolved = try ModelArgument.resolve(model, context: global.context)
                var request = Training.Request(model: resolved, seed: seed, workDir: workDir.map { URL(fileURLWithPath: $0) },
                                               threads: threading.threads, dataRoot: data.url(global))
                request.resume = resume
                request.loadFrom = loadFrom.map { URL(fileURLWithPath: $0) }
                request.validate = runValidation
                request.gpus = gpus
                request.totalBatch = totalBatch
                let outcome = try Training.run(request, log: Console.log)
                // After the run, so that a run that cannot start says why first.
                for warning in outcome.warnings { Console.info("warning: \(warning)") }
                if json {
                    try Console.output(String(decoding: try Data(contentsOf: outcome.workDir.appending(path: "result.json")), as: UTF8.self))
                } else {
                    let result = outcome.result
                    let metrics = result.metrics.sorted { $0.key < $1.key }.map { "\($0.key): \(String(format: "%.4f", $0.value))" }
                    try Console.output((metrics + ["weights_sha256: \(result.weightsSHA256)", "work dir: \(outcome.workDir.path)"]).joined(separator: "\n"))
                }
            }
        }
    }
}

/// `--gpus` and `--total-batch`, checked as the harness checks them, as usage errors.
enum GPUOptions {
    static func validate(gpus: Int?, totalBatch: Int?) throws {
        do { try GPULayout.validate(gpus: gpus, totalBatch: totalBatch) } catch let error as HarnessError { throw ValidationError(error.message) }
    }
}
