// `reproduce --executor slurm --wait`: follows an array until squeue lists none of its tasks, reporting how many
// are pending, running, done (a result is there) and failed (finished without one) whenever that changes.
import Foundation

public enum SlurmFollower {
    public struct Progress: Sendable, Equatable, CustomStringConvertible {
        public var pending = 0
        public var running = 0
        public var done = 0
        public var failed = 0

        public var description: String { "\(pending) pending, \(running) running, \(done) done, \(failed) failed" }
    }

    /// The array's progress now: live tasks from squeue, finished ones by whether their result is there.
    public static func progress(plan: TaskPlan, live: [Int: SlurmTaskState]) -> Progress {
        var progress = Progress()
        for task in plan.tasks {
            if let state = live[task.index], !state.isTerminal {
                if ["RUNNING", "COMPLETING", "CONFIGURING", "SIGNALING", "STAGE_OUT"].contains(state.state) { progress.running += 1 } else { progress.pending += 1 }
            } else if FileManager.default.fileExists(atPath: task.workURL.appending(path: TaskResult.fileName).path) {
                progress.done += 1
            } else {
                progress.failed += 1
            }
        }
        return progress
    }

    /// Polls squeue every `interval` seconds until no task of `job` is live; calls `report` on every change.
    /// - Throws: ``HarnessError`` when squeue fails (slurmctld unreachable), or after `timeout` seconds if given.
    public static func follow(plan: TaskPlan, job: String, commands: SlurmCommands, interval: Double = 5, timeout: Double? = nil,
                              report: (Progress) -> Void) throws {
        let started = Date()
        var last: Progress?
        while true {
            let live = try commands.live(job: job)
            let now = progress(plan: plan, live: live)
            if now != last { report(now) }
            last = now
            if live.values.allSatisfy(\.isTerminal) { return }
            if let timeout, Date().timeIntervalSince(started) > timeout {
                throw HarnessError("job \(job) still has \(now.pending + now.running) live tasks after \(Int(timeout)) s",
                                   hint: "it keeps running; `skelzoo collect \(plan.sharedDir)` later")
            }
            Thread.sleep(forTimeInterval: interval)
        }
    }
}
