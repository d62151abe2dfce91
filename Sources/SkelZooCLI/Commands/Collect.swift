import ArgumentParser
import Foundation
import ZooHarness
import ZooRegistry

extension SkelZoo {
    struct Collect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import the results of a Slurm reproduce (its shared dir) into the registry, idempotently.",
            discussion: """
            Each finished task becomes one run with its provenance plus the executor, job and array task id, node and
            Slurm state; failed, timed-out, cancelled and node-failed tasks are recorded as failed with their state and the
            tail of their log. Tasks still pending or running are left for a later collect; collecting again records
            nothing new. Verdicts and `skelzoo report` then work as for local runs. Run it where the registry lives (SQLite
            is never shared over a network file system) and where squeue answers, or pass --offline.
            The exit code is non-zero when a collected run failed or did not reproduce.

            Examples:
              skelzoo collect /shared/sz
              skelzoo collect /shared/sz --offline --json
            """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The shared dir given to `reproduce --executor slurm --shared-dir`.")
        var dir: String

        @Flag(help: "Do not ask Slurm (squeue, sacct, scontrol): collect only tasks whose result is there.")
        var offline = false

        @Flag(help: "Print a JSON summary.")
        var json = false

        func run() throws {
            var failedAny = false
            try Console.run {
                let context = try global.context()
                let plan = try TaskPlan.load(TaskPlan.url(in: URL(fileURLWithPath: dir)))
                failedAny = try Self.collectAndPrint(plan: plan, context: context, commands: offline ? nil : SlurmCommands(), json: json)
            }
            if failedAny { throw ExitCode(1) }
        }

        struct Line: Encodable {
            var index: Int
            var entry: String
            var mode: String
            var seed: Int?
            var outcome: String
            var state: String?
        }

        /// What one collect found, as `--json` prints it.
        struct Output: Encodable {
            var tasks: [Line]
            var entries: [Collector.EntryVerdict]
            var notFinished: Int
            var recorded: Int
            var alreadyCollected: Int
            /// Something was recorded failed or an entry did not reproduce.
            var failed: Bool
        }

        /// Collects and prints what it did and each entry's verdict; returns whether something failed or did not reproduce.
        static func collectAndPrint(plan: TaskPlan, context: ZooContext, commands: SlurmCommands?, json: Bool) throws -> Bool {
            let output = try collect(plan: plan, context: context, commands: commands)
            if json {
                try Console.output(try Console.json(output))
            } else {
                for line in output.tasks {
                    try Console.output("task \(line.index) \(line.entry) \(line.mode)\(line.seed.map { " seed \($0)" } ?? ""): \(line.outcome)\(line.state.map { " (\($0))" } ?? "")")
                }
                for verdict in output.entries { try Console.output("\(verdict.entry): \(verdict.verdict)") }
                try Console.output("summary: \(output.recorded) recorded, \(output.alreadyCollected) already collected, \(output.notFinished) not finished"
                                   + (output.notFinished > 0 ? "; collect again later" : ""))
            }
            return output.failed
        }

        static func collect(plan: TaskPlan, context: ZooContext, commands: SlurmCommands?) throws -> Output {
            let submission = try Submission.load(in: plan.sharedURL)
            var live: [Int: SlurmTaskState] = [:], final: [Int: SlurmTaskState] = [:]
            if let commands, let submission {
                live = try commands.live(job: submission.jobId)
                final = try commands.final(job: submission.jobId)
            }
            // Offline, a task without a result is not known to be finished: it is left for a later collect.
            let summary = try Collector.collect(plan: plan, registry: context.registry, submission: submission,
                                                live: live, final: final, offline: commands == nil)
            var lines: [Line] = []
            var failed = false
            for (task, outcome) in summary.outcomes {
                let (text, state): (String, String?)
                switch outcome {
                case .recordedSucceeded: (text, state) = ("recorded, succeeded", nil)
                case .recordedFailed(let slurmState):
                    (text, state) = ("recorded, failed", slurmState)
                    failed = true
                case .alreadyCollected: (text, state) = ("already collected", nil)
                case .notFinished(let slurmState): (text, state) = ("not finished", slurmState)
                }
                lines.append(Line(index: task.index, entry: task.entry, mode: task.mode.rawValue, seed: task.seed, outcome: text, state: state))
            }
            let verdicts = try Collector.verdicts(plan: plan, context: context)
            if verdicts.contains(where: { $0.passes == false }) { failed = true }
            return Output(tasks: lines, entries: verdicts, notFinished: summary.notFinished, recorded: summary.recorded,
                          alreadyCollected: summary.count { $0 == .alreadyCollected }, failed: failed)
        }
    }
}
