import ArgumentParser
import Foundation
import ZooHarness
import ZooReport

extension SkelZoo {
    struct Reproduce: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rerun what can be rerun and record it: evaluate released checkpoints, retrain entries with seeds.",
            discussion: """
            --mode eval evaluates the cached checkpoint on the validation annotations; --mode train retrains with each \
            seed (default: the zoo's reference seed, else 0) and evaluates (--seeds auto: seeds 0, 1, 2, ... until the 95% \
            confidence interval of the mean, Student t, is at most ± --ci points, at least 3 seeds and at most --max-seeds; \
            the verdict is then made against the interval); auto evaluates where the zoo gives a checkpoint \
            and retrains otherwise. What cannot run here (no checkpoint, no data) is recorded as skipped with its reason and \
            the command that would fix it. Retrains follow the entry's published recipe: --gpus defaults to its published \
            GPU count (`skelzoo show ENTRY` prints the recipe), emulated as MMAction2's DDP on the CPU. Every run is recorded with its provenance; `skelzoo report` then writes the tables. \
            The exit code is non-zero only when something that ran did not reproduce or crashed.

            Examples:
              skelzoo reproduce --zoo zoo/demo.yml
              skelzoo reproduce demo_stgcn_coco2d_ce --seeds 0,1,2
              skelzoo reproduce stgcn_80e_babel60 --mode eval --json
              skelzoo reproduce --zoo zoo/demo.yml --mode train --seeds 0,1 --executor slurm --shared-dir /shared/sz --wait

            With --executor slurm the runs become one Slurm job array (see `skelzoo collect --help` and README "On a Slurm \
            cluster"): the plan, data, checkpoints and work dirs go into --shared-dir; the registry stays here.
            """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Entries (default: those of the --zoo files, else the whole zoo).")
        var entries: [String] = []

        @Option(help: "eval, train or auto.")
        var mode: String = "auto"

        @Option(help: "Comma-separated seeds for retrains, or auto: seeds 0, 1, 2, ... until the 95% interval of the mean is at most ± --ci points.")
        var seeds: String?

        @Option(help: ArgumentHelp("With --seeds auto: the 95% confidence interval's half-width to reach, in points.", valueName: "points"))
        var ci: Double = 0.5

        @Option(help: ArgumentHelp("With --seeds auto: the most seeds to run.", valueName: "n"))
        var maxSeeds: Int = SeedStopping.defaultMaximumSeeds

        @OptionGroup var data: DataRootOption

        @OptionGroup var threading: ThreadsOption

        @Option(help: "Samples per forward pass when evaluating a checkpoint (default: the config's test batch size).")
        var batchSize: Int?

        @Option(help: "Emulated GPUs for retrains (default: each entry's published GPU count, else 1).")
        var gpus: Int?

        @Flag(help: "Print a JSON summary.")
        var json = false

        @Option(help: "Where runs execute: local (here, one after another) or slurm (a job array; needs --shared-dir).")
        var executor: String = "local"

        @OptionGroup(title: "Slurm executor") var slurm: SlurmExecutorOptions

        func validate() throws {
            guard ModeChoice(rawValue: mode) != nil else { throw ValidationError("--mode must be eval, train or auto") }
            if let seeds, seeds != "auto", parsedSeeds(seeds) == nil {
                throw ValidationError("--seeds must be auto or comma-separated integers >= 0, e.g. 0,1,2")
            }
            guard ci > 0 && ci.isFinite else { throw ValidationError("--ci must be a positive number of points, e.g. 0.5") }
            guard maxSeeds >= 1 && maxSeeds <= SeedStopping.maximumSeedsLimit else {
                throw ValidationError("--max-seeds must be 1...\(SeedStopping.maximumSeedsLimit) (the t table's end)")
            }
            if seeds == "auto" && executor == "slurm" {
                throw ValidationError("--seeds auto decides after each seed, so it runs here; with --executor slurm give a seed list, e.g. --seeds 0,1,2,3,4")
            }
            if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
            try GPUOptions.validate(gpus: gpus, totalBatch: nil)
            guard ["local", "slurm"].contains(executor) else { throw ValidationError("--executor must be local or slurm") }
            if executor == "slurm" {
                try slurm.validate(forSlurm: true)
            } else {
                try slurm.validate(forSlurm: false)
            }
        }

        func parsedSeeds(_ text: String) -> [Int]? {
            let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ ($0 ?? -1) >= 0 }) else { return nil }
            return values.map { $0! }
        }

        func run() throws {
            if executor == "slurm" { return try runOnSlurm() }
            var failedAny = false
            try Console.run {
                try global.applyArithmetic()
                let context = try global.context()
                var options = Reproducer.Options(dataRoot: data.url(global), threads: threading.threads)
                options.mode = ModeChoice(rawValue: mode) ?? .auto
                options.seeds = seeds.flatMap(parsedSeeds)
                if seeds == "auto" { options.seedRule = SeedRule(halfWidth: ci, maximum: maxSeeds) }
                options.batchSize = batchSize
                options.gpus = gpus
                let outcomes = try Reproducer.run(try context.chosenEntries(entries), options: options, context: context, log: Console.log)
                let summary = Reproducer.Summary(outcomes)
                failedAny = summary.isFailure
                if json {
                    try Console.output(try Console.json(outcomes))
                } else {
                    for outcome in outcomes {
                        try Console.output("\(outcome.entry): \(outcome.status == .ran ? outcome.verdict : outcome.status.rawValue)\(outcome.reason.map { " — \($0)" } ?? "")")
                    }
                    try Console.output(summary.line)
                }
            }
            if failedAny { throw ExitCode(1) }
        }
    }
}
