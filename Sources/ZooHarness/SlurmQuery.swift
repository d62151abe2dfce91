// Asking Slurm where an array's tasks are: `squeue` for the live ones, then `sacct` where accounting exists, else
// `scontrol show job` (which knows finished jobs for MinJobAge, 300 s by default). The parsers are pure functions of
// the commands' text so that tests feed them fabricated output; ``SlurmCommands`` runs the real commands.
import Foundation

/// One array task as Slurm reports it.
public struct SlurmTaskState: Sendable, Equatable {
    public var index: Int
    /// The base state, e.g. `RUNNING`, `COMPLETED`, `TIMEOUT`, `CANCELLED` (sacct's "CANCELLED by 0" is cut to its first word).
    public var state: String
    public var node: String?
    public var exitCode: String?

    public init(index: Int, state: String, node: String? = nil, exitCode: String? = nil) {
        self.index = index
        self.state = state
        self.node = node
        self.exitCode = exitCode
    }

    /// States after which the task will not run again by itself.
    public static let terminal: Set<String> = ["COMPLETED", "FAILED", "TIMEOUT", "CANCELLED", "NODE_FAIL", "OUT_OF_MEMORY",
                                               "PREEMPTED", "BOOT_FAIL", "DEADLINE", "REVOKED"]
    public var isTerminal: Bool { Self.terminal.contains(state) }
}

public enum SlurmQuery {
    /// `squeue -h -r -j JOB -o '%K|%T|%N'`: the array's live tasks (pending, running, requeued, completing).
    public static func parseSqueue(_ text: String) -> [Int: SlurmTaskState] {
        var states: [Int: SlurmTaskState] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 2, let index = Int(fields[0]) else { continue }
            states[index] = SlurmTaskState(index: index, state: baseState(fields[1]), node: fields.count > 2 ? nonEmpty(fields[2]) : nil)
        }
        return states
    }

    /// `sacct -n -P -X -j JOB -o JobID,State,NodeList,ExitCode`: one line per task (`JOB_3|TIMEOUT|node1|0:15`); lines for
    /// tasks not yet split off (`JOB_[4-7]`) and other jobs are skipped. A requeued task has several lines; the last wins.
    public static func parseSacct(_ text: String, arrayJobId: String) -> [Int: SlurmTaskState] {
        var states: [Int: SlurmTaskState] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 2 else { continue }
            let id = fields[0].split(separator: "_", maxSplits: 1)
            guard id.count == 2, String(id[0]) == arrayJobId, let index = Int(id[1]) else { continue }
            states[index] = SlurmTaskState(index: index, state: baseState(fields[1]), node: fields.count > 2 ? nonEmpty(fields[2]) : nil,
                                           exitCode: fields.count > 3 ? nonEmpty(fields[3]) : nil)
        }
        return states
    }

    /// `scontrol -o show job JOB`: one line per task with `ArrayJobId=`, `ArrayTaskId=`, `JobState=`, `NodeList=`, `ExitCode=`.
    /// A line for tasks not yet split off (`ArrayTaskId=4-7`) is skipped.
    public static func parseScontrol(_ text: String, arrayJobId: String) -> [Int: SlurmTaskState] {
        var states: [Int: SlurmTaskState] = [:]
        for line in text.split(separator: "\n") {
            var fields: [String: String] = [:]
            for word in line.split(separator: " ") {
                guard let equals = word.firstIndex(of: "=") else { continue }
                fields[String(word[..<equals])] = String(word[word.index(after: equals)...])
            }
            guard fields["ArrayJobId"] == arrayJobId, let index = fields["ArrayTaskId"].flatMap({ Int($0) }),
                  let state = fields["JobState"] else { continue }
            states[index] = SlurmTaskState(index: index, state: baseState(state), node: fields["NodeList"].flatMap { $0 == "(null)" ? nil : nonEmpty($0) },
                                           exitCode: fields["ExitCode"])
        }
        return states
    }

    /// `CANCELLED by 0` → `CANCELLED`, `COMPLETED+` → `COMPLETED`.
    static func baseState(_ text: String) -> String {
        String(text.split(separator: " ").first ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "+")).uppercased()
    }

    static func nonEmpty(_ text: String) -> String? {
        text.isEmpty || text == "None assigned" || text.hasPrefix("(") ? nil : text
    }
}

/// Runs Slurm's commands (sbatch, squeue, sacct, scontrol); a test passes its own ``run``.
public struct SlurmCommands: Sendable {
    public typealias Runner = @Sendable (_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String)
    public var run: Runner

    public init(run: @escaping Runner = SlurmCommands.process) { self.run = run }

    /// Submits the script; returns the array's job id.
    public func submit(script: URL) throws -> String {
        let result = try checked(["sbatch", "--parsable", script.path])
        // --parsable prints "jobid" or "jobid;cluster".
        guard let id = result.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }), !id.isEmpty,
              id.allSatisfy(\.isNumber) else {
            throw HarnessError("sbatch printed '\(result.trimmingCharacters(in: .whitespacesAndNewlines))', not a job id")
        }
        return id
    }

    /// The array's live tasks (an empty answer: none is pending or running any more).
    public func live(job: String) throws -> [Int: SlurmTaskState] {
        SlurmQuery.parseSqueue(try checked(["squeue", "-h", "-r", "-j", job, "-o", "%K|%T|%N"], allowInvalidJob: true))
    }

    /// The tasks' last known states: sacct when accounting answers, else scontrol; empty when neither knows the job.
    public func final(job: String) throws -> [Int: SlurmTaskState] {
        // sacct is optional: a cluster without accounting may not have it, or answers "accounting storage is disabled".
        if let result = try? run(["sacct", "-n", "-P", "-X", "-j", job, "-o", "JobID,State,NodeList,ExitCode"]), result.status == 0 {
            let states = SlurmQuery.parseSacct(result.stdout, arrayJobId: job)
            if !states.isEmpty { return states }
        }
        // No accounting storage (sacct missing, disabled or knowing nothing): the controller's memory of recent jobs.
        // A job it has forgotten (MinJobAge) is no state at all; any other failure is an error, not "unknown".
        return SlurmQuery.parseScontrol(try checked(["scontrol", "-o", "show", "job", job], allowInvalidJob: true), arrayJobId: job)
    }

    func checked(_ arguments: [String], allowInvalidJob: Bool = false) throws -> String {
        let result: (status: Int32, stdout: String, stderr: String)
        do { result = try run(arguments) } catch {
            throw HarnessError("cannot run \(arguments[0]): \(error)", hint: "run this where Slurm's commands are on PATH (a login node)")
        }
        if result.status != 0 {
            // squeue forgets a job some minutes after its last task ended: "Invalid job id specified" means none is live.
            if allowInvalidJob && result.stderr.contains("Invalid job id") { return "" }
            throw HarnessError("\(arguments.joined(separator: " ")) failed (status \(result.status)): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))",
                               hint: "check that slurmctld is reachable (`sinfo`)")
        }
        return result.stdout
    }

    /// Runs a command found on PATH and returns its status and output.
    public static let process: Runner = { arguments in
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes before waiting: a full pipe would block the child.
        let errData = LockedData()
        let thread = Thread { errData.value = err.fileHandleForReading.readDataToEndOfFile() }
        thread.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errData.done { usleep(1000) }
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData.value, as: UTF8.self))
    }
}

/// A value one thread writes and another reads once it is done.
final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var finished = false
    var value: Data {
        get { lock.withLock { data } }
        set { lock.withLock { data = newValue; finished = true } }
    }
    var done: Bool { lock.withLock { finished } }
}
