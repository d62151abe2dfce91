// The sbatch script for a plan: one array task per plan task, readable and kept in the shared dir (`submit.sbatch`).
//
// Preemption and time limits: the array is `--requeue`, so Slurm requeues a preempted or node-failed task, and
// `--signal=B:USR1@<grace>` warns the batch shell `grace` seconds before the time limit; the script forwards USR1 to
// skelzoo, which writes latest.pth at the next iteration boundary (mid-epoch: the step within the epoch and its running
// sums) and exits, and the script requeues its own task (`scontrol requeue`). On preemption Slurm sends TERM to the
// job's processes, which skelzoo treats the same way. A requeued task runs `run-task` again, which resumes from
// latest.pth at that iteration with the same bits as an uninterrupted run (the trainer's log is cut back to it).
import Foundation

public struct SlurmOptions: Sendable, Equatable {
    public var jobName = "skelzoo"
    public var partition: String?
    /// `--time`, e.g. `2-00:00:00` or `90` (minutes).
    public var time: String?
    /// `--cpus-per-task`, also the tasks' `--threads`.
    public var cpusPerTask = 1
    /// `--mem`, e.g. `8G`.
    public var memory: String?
    /// At most this many tasks at once (`--array=0-(N-1)%K`); nil for no limit.
    public var parallelism: Int?
    public var account: String?
    public var qos: String?
    /// Extra `#SBATCH` lines, as given (with or without the `#SBATCH ` prefix).
    public var extraDirectives: [String] = []
    /// Seconds before the time limit at which the batch shell is signalled to requeue its task.
    public var signalGraceSeconds = 120

    public init() {}

    /// Checks the values that go into `#SBATCH` lines, naming the option.
    public func validate() throws {
        guard cpusPerTask >= 1 else { throw HarnessError("--cpus-per-task must be at least 1") }
        if let parallelism, parallelism < 1 { throw HarnessError("--array-parallelism must be at least 1") }
        guard signalGraceSeconds >= 1 else { throw HarnessError("--signal-grace must be at least 1 second") }
        for (option, value) in [("--partition", partition), ("--time", time), ("--mem", memory), ("--account", account), ("--qos", qos),
                                ("--job-name", jobName)] {
            guard let value else { continue }
            guard !value.isEmpty, value.allSatisfy({ !$0.isWhitespace && $0 != "#" && $0 != "'" && $0 != "\"" && $0 != "\\" }) else {
                throw HarnessError("\(option) '\(value)' is not a valid Slurm value (no spaces, quotes, backslashes or #)")
            }
        }
        for line in extraDirectives where line.contains("\n") || line.trimmingCharacters(in: .whitespaces).isEmpty {
            throw HarnessError("--sbatch-line '\(line)' must be one non-empty line, e.g. --sbatch-line '--constraint=avx512'")
        }
    }
}

public enum SlurmScript {
    public static let fileName = "submit.sbatch"

    /// The script's text.
    /// - Parameters:
    ///   - executable: the skelzoo binary every node runs (on the shared file system).
    public static func render(plan: TaskPlan, planURL: URL, options: SlurmOptions, executable: String) -> String {
        let count = plan.tasks.count
        precondition(count >= 1, "a plan to submit has tasks")
        var lines = [
            "#!/bin/bash",
            "# Written by `skelzoo reproduce --executor slurm` on \(ISO8601DateFormatter().string(from: plan.createdAt)), batch \(plan.batch).",
            "# \(count) task\(count == 1 ? "" : "s"), one per (entry, mode, seed) in \(planURL.path):",
        ]
        lines += plan.tasks.map { "#   \($0.index): \($0.label)" }
        lines += [
            "# Each task runs `skelzoo run-task PLAN $SLURM_ARRAY_TASK_ID`, which writes its work dir and result.json and never",
            "# opens the registry; `skelzoo collect \(plan.sharedDir)` imports the results (run it where the registry lives).",
            "#",
            "# --requeue: a preempted or node-failed task is requeued by Slurm. --signal=B:USR1@\(options.signalGraceSeconds): \(options.signalGraceSeconds) s before",
            "# the time limit this shell passes USR1 to skelzoo, which writes latest.pth at the next iteration and exits, then",
            "# requeues the task. A requeued task resumes from latest.pth at that iteration and gives the same bits.",
            "#SBATCH --job-name=\(options.jobName)",
            "#SBATCH --array=0-\(count - 1)\(options.parallelism.map { "%\($0)" } ?? "")",
            "#SBATCH --cpus-per-task=\(options.cpusPerTask)",
            "#SBATCH --ntasks=1",
        ]
        if let value = options.time { lines.append("#SBATCH --time=\(value)") }
        if let value = options.memory { lines.append("#SBATCH --mem=\(value)") }
        if let value = options.partition { lines.append("#SBATCH --partition=\(value)") }
        if let value = options.account { lines.append("#SBATCH --account=\(value)") }
        if let value = options.qos { lines.append("#SBATCH --qos=\(value)") }
        lines += [
            "#SBATCH --output=\(plan.logsURL.path)/%A_%a.out",
            "#SBATCH --open-mode=append",
            "#SBATCH --requeue",
            "#SBATCH --signal=B:USR1@\(options.signalGraceSeconds)",
        ]
        for line in options.extraDirectives {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            lines.append(trimmed.hasPrefix("#SBATCH") ? trimmed : "#SBATCH \(trimmed)")
        }
        lines += [
            "",
            "set -u",
            "SKELZOO=\(shellQuoted(executable))",
            "PLAN=\(shellQuoted(planURL.path))",
            "TASK=\"${SLURM_ARRAY_TASK_ID:?this script is submitted as an array: sbatch \(shellQuoted(plan.sharedURL.appending(path: fileName).path))}\"",
            "echo \"skelzoo: task $TASK of job ${SLURM_ARRAY_JOB_ID:-?} on $(hostname) (restart ${SLURM_RESTART_COUNT:-0}) at $(date -u +%FT%TZ)\"",
            "",
            "requeued=0",
            "child=",
            "requeue() {",
            "    echo \"skelzoo: time limit near; stopping task $TASK at its next iteration and requeueing it (it resumes from latest.pth)\"",
            "    requeued=1",
            "    if [ -n \"$child\" ]; then kill -USR1 \"$child\" 2>/dev/null; wait \"$child\"; fi",
            "    scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"",
            "}",
            "trap requeue USR1",
            "",
            "# In the background so that the shell can take USR1 while skelzoo trains (bash runs traps only between commands).",
            "\"$SKELZOO\" run-task \"$PLAN\" \"$TASK\" --threads \(options.cpusPerTask) &",
            "child=$!",
            "wait \"$child\"",
            "status=$?",
            "# wait returns early (status > 128) when the trap ran; the trap waited for skelzoo itself.",
            "if [ \"$requeued\" = 1 ]; then exit 0; fi",
            "echo \"skelzoo: task $TASK exited with status $status at $(date -u +%FT%TZ)\"",
            "exit $status",
            "",
        ]
        return lines.joined(separator: "\n")
    }

    /// `'text'` for a POSIX shell (single quotes, each `'` as `'\''`).
    public static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
