// `reproduce --executor slurm`: prepare the shared dir, write the plan and the sbatch script, submit one array,
// and with --wait follow it and collect. The logic lives in ZooHarness; this file builds values and prints.
import ArgumentParser
import Foundation
import ZooConfig
import ZooHarness
import ZooIO
import ZooRegistry

/// Options of `reproduce --executor slurm`.
struct SlurmExecutorOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A folder every node sees at this same path: plan, data, checkpoints, work dirs, logs.", valueName: "dir"))
    var sharedDir: String?

    @Option(help: "Slurm partition.")
    var partition: String?

    @Option(help: "Time limit per task (sbatch --time), e.g. 2-00:00:00.")
    var time: String?

    @Option(help: "CPUs per task (sbatch --cpus-per-task); also each task's --threads.")
    var cpusPerTask: Int = 1

    @Option(help: "Memory per task (sbatch --mem), e.g. 8G.")
    var mem: String?

    @Option(help: ArgumentHelp("At most this many tasks at once (--array=0-(N-1)%K).", valueName: "K"))
    var arrayParallelism: Int?

    @Option(help: "Slurm account.")
    var account: String?

    @Option(help: "Slurm QOS.")
    var qos: String?

    @Option(name: .customLong("sbatch-line"), help: ArgumentHelp("An extra #SBATCH line, e.g. '--constraint=avx512'. Repeatable.", valueName: "line"))
    var sbatchLines: [String] = []

    @Option(help: ArgumentHelp("Seconds before the time limit at which a task is stopped and requeued.", valueName: "seconds"))
    var signalGrace: Int = 120

    @Option(help: ArgumentHelp("The skelzoo binary the nodes run (default: this one; it must be on the shared file system).", valueName: "path"))
    var taskBinary: String?

    @Flag(help: "Follow the array until it finishes (squeue), showing progress, then collect.")
    var wait = false

    @Flag(help: "Write the plan, data and script but do not submit.")
    var dryRun = false

    func validate(forSlurm: Bool) throws {
        guard forSlurm else {
            if sharedDir != nil || wait || dryRun { throw ValidationError("--shared-dir, --wait and --dry-run need --executor slurm") }
            return
        }
        guard let sharedDir, !sharedDir.isEmpty else { throw ValidationError("--executor slurm needs --shared-dir DIR (a folder every node sees)") }
        if wait && dryRun { throw ValidationError("--wait and --dry-run exclude each other") }
        do { try options.validate() } catch let error as HarnessError { throw ValidationError(error.message) }
    }

    var options: SlurmOptions {
        var options = SlurmOptions()
        options.partition = partition
        options.time = time
        options.cpusPerTask = cpusPerTask
        options.memory = mem
        options.parallelism = arrayParallelism
        options.account = account
        options.qos = qos
        options.extraDirectives = sbatchLines
        options.signalGraceSeconds = signalGrace
        return options
    }

    /// The shared dir as an absolute, standardized path.
    var sharedURL: URL {
        URL(fileURLWithPath: sharedDir ?? ".", relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL.absoluteURL
    }

    /// This process's binary (/proc/self/exe), unless --task-binary names another.
    func executable() throws -> String {
        if let taskBinary { return URL(fileURLWithPath: taskBinary).standardizedFileURL.path }
        do { return try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") } catch {
            throw CLIError("cannot find this skelzoo binary's path (/proc/self/exe)", hint: "pass --task-binary PATH")
        }
    }
}

/// `reproduce --executor slurm --json`: one JSON object on stdout (progress stays on stderr).
struct SlurmReproduceOutput: Encodable {
    struct Task: Encodable {
        var index: Int
        var label: String
        var workDir: String

        enum CodingKeys: String, CodingKey {
            case index, label
            case workDir = "work_dir"
        }
    }
    struct Skip: Encodable {
        var entry: String
        var reason: String
        var fix: String?
    }
    var batch: String
    var plan: String?
    var script: String?
    var tasks: [Task] = []
    var skipped: [Skip] = []
    /// Submitted: the array's job id (nil for --dry-run or when every entry was skipped).
    var jobId: String?
    var watch: String?
    var collect: String?
    /// With --wait: what collect found once the array finished.
    var collected: SkelZoo.Collect.Output?

    enum CodingKeys: String, CodingKey {
        case batch, plan, script, tasks, skipped, watch, collect, collected
        case jobId = "job_id"
    }
}

extension SkelZoo.Reproduce {
    func runOnSlurm() throws {
        var failedAny = false
        try Console.run {
            try global.applyArithmetic()
            let context = try global.context()
            let batch = UUID().uuidString
            var output = SlurmReproduceOutput(batch: batch)
            // Text lines, or (--json) nothing until the one object at the end.
            func say(_ text: String) throws { if !json { try Console.output(text) } }
            func finish() throws { if json { try Console.output(try Console.json(output)) } }
            var requests: [PlanBuilder.Request] = []
            for entry in try context.chosenEntries(entries) {
                // A fusion entry has no config; PlanBuilder skips it with the `skelzoo fuse` command.
                let (text, origin) = entry.fusion == nil ? try context.sources.configText(for: entry) : ("", entry.name)
                let resolvedMode = (ModeChoice(rawValue: mode) ?? .auto).resolve(for: entry)
                let seedList = seeds.flatMap(parsedSeeds) ?? [entry.reference?.seed ?? 0]
                requests.append(.init(entry: entry, mode: resolvedMode, configText: text, configOrigin: origin, seeds: seedList, batchSize: batchSize, gpus: gpus))
            }
            let shared = slurm.sharedURL
            let environment = ProcessInfo.processInfo.environment
            let (plan, skipped) = try PlanBuilder.prepare(
                requests, sharedDir: shared,
                sources: .init(dataRoot: data.url(global), checkpoints: context.home.appending(path: "checkpoints")),
                batch: batch, threads: slurm.cpusPerTask, backend: global.backend ?? environment["SKELZOO_BACKEND"],
                isa: global.isa ?? environment["SKELZOO_ISA"], codeVersion: CodeVersion.current, log: Console.info)
            for skip in skipped {
                try RunRecorder.recordSkip(context.registry, entry: skip.entry, mode: skip.mode, batch: batch,
                                           reason: skip.reason, fix: skip.fix, configHash: skip.configHash, executor: "slurm")
                output.skipped.append(.init(entry: skip.entry, reason: skip.reason, fix: skip.fix))
                try say("\(skip.entry): skipped — \(skip.reason)\(skip.fix.map { " (fix: \($0))" } ?? "")")
            }
            guard !plan.tasks.isEmpty else {
                try say("nothing to submit: every entry was skipped")
                return try finish()
            }
            let planURL = TaskPlan.url(in: shared)
            try plan.write(to: planURL)
            try Folder.create(plan.logsURL)
            let scriptURL = shared.appending(path: SlurmScript.fileName)
            let script = SlurmScript.render(plan: plan, planURL: planURL, options: slurm.options, executable: try slurm.executable())
            try AtomicFile.write(Data(script.utf8), to: scriptURL)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: scriptURL.path)
            output.plan = planURL.path
            output.script = scriptURL.path
            output.tasks = plan.tasks.map { .init(index: $0.index, label: $0.label, workDir: $0.workDir) }
            let collectCommand = "skelzoo collect \(shared.path)\(global.home.map { " --home \($0)" } ?? "")"
            output.collect = collectCommand
            try say("plan: \(plan.tasks.count) tasks in \(planURL.path)")
            for task in plan.tasks { try say("  \(task.index): \(task.label) -> \(task.workDir)") }
            try say("script: \(scriptURL.path)")
            if slurm.dryRun {
                try say("dry run: not submitted; submit with `sbatch \(scriptURL.path)`, then `skelzoo collect \(shared.path)`")
                return try finish()
            }
            let commands = SlurmCommands()
            let job = try commands.submit(script: scriptURL)
            try Submission(jobId: job, script: scriptURL.path).write(in: shared)
            output.jobId = job
            output.watch = "squeue -r -j \(job)"
            try say("submitted job array \(job) (\(plan.tasks.count) tasks)")
            try say("watch: squeue -r -j \(job)    logs: \(plan.logsURL.path)/\(job)_<task>.out")
            try say("collect: \(collectCommand)")
            guard slurm.wait else { return try finish() }
            try SlurmFollower.follow(plan: plan, job: job, commands: commands) { progress in
                Console.info("job \(job): \(progress)")
            }
            if json {
                let collected = try SkelZoo.Collect.collect(plan: plan, context: context, commands: commands)
                output.collected = collected
                failedAny = collected.failed
            } else {
                failedAny = try SkelZoo.Collect.collectAndPrint(plan: plan, context: context, commands: commands, json: false)
            }
            try finish()
        }
        if failedAny { throw ExitCode(1) }
    }
}
