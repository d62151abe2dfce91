import ArgumentParser
import Foundation
import ZooHarness

extension SkelZoo {
    struct RunTask: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run-task",
            abstract: "Run one task of a plan (what each Slurm array task does): write its work dir and result.json.",
            discussion: """
            The task is a pure function of the plan: entry, mode, seed, the config's text and the prepared data and
            checkpoint under the shared dir. It never opens the registry; `skelzoo collect DIR` imports the result. Run
            again (a requeued task), it resumes from the work dir's latest.pth with the same bits; a task whose result is
            already there is not run again. The arithmetic is the plan's (its backend and isa).

            Examples:
              skelzoo run-task /shared/sz/plan.json 0
              skelzoo run-task /shared/sz/plan.json "$SLURM_ARRAY_TASK_ID" --threads "$SLURM_CPUS_PER_TASK"
            """)

        @Argument(help: "The plan.json written by `reproduce --executor slurm`.")
        var plan: String

        @Argument(help: "The task's index (the Slurm array index).")
        var index: Int

        @Option(help: "Worker threads (default: the plan's; results do not depend on it).")
        var threads: Int?

        func validate() throws {
            guard index >= 0 else { throw ValidationError("INDEX must be >= 0") }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        }

        func run() throws {
            try Console.run {
                let url = URL(fileURLWithPath: plan)
                // USR1 (the batch script, before the time limit) or TERM (preemption): latest.pth at the next iteration, then stop.
                let outcome = try TaskRunner.run(plan: url, index: index, threads: threads, codeVersion: CodeVersion.current, stopOnSignals: true,
                                                 train: { try TrainingRunner.run($0, train: $1, val: $2, log: Console.log) })
                switch outcome {
                case .alreadyDone(let result):
                    try Console.output("task \(index): already done (\(result.weightsSHA256.map { "weights_sha256: \($0)" } ?? "result.json is there"))")
                case .ran(let result):
                    let metrics = result.metrics.sorted { $0.key < $1.key }.map { "\($0.key): \(String(format: "%.4f", $0.value))" }
                    try Console.output((["task \(index): done"] + metrics + [result.weightsSHA256.map { "weights_sha256: \($0)" } ?? ""]).filter { !$0.isEmpty }
                        .joined(separator: "\n"))
                }
            }
        }
    }
}
