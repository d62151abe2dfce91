import Foundation
import Testing
import ZooTestSupport

/// The local single-node Slurm of `scripts/slurm-local.sh up`, if it answers: its slurm.conf (from $SLURM_CONF, else the
/// script's default folder). The end-to-end tests below are skipped, with this reason, when it does not.
enum LocalSlurm {
    static let configuration: String? = {
        let environment = ProcessInfo.processInfo.environment
        let candidates = [environment["SLURM_CONF"], "/tmp/skelzoo-slurm/slurm.conf"].compactMap { $0 }
        for conf in candidates where FileManager.default.fileExists(atPath: conf) {
            if let result = try? run(["sinfo", "-h", "-o", "%T"], conf: conf), result.status == 0,
               result.stdout.split(separator: "\n").contains(where: { ["idle", "mixed", "allocated"].contains($0.trimmingCharacters(in: .whitespaces)) }) {
                return conf
            }
        }
        return nil
    }()

    static let skipReason: Comment = "no Slurm answers here (slurmctld not running): start one with `scripts/slurm-local.sh up` (root, Debian) to run this test"

    static func run(_ arguments: [String], conf: String) throws -> (status: Int32, stdout: String, stderr: String) {
        try Fixtures.run(URL(fileURLWithPath: "/usr/bin/env"), arguments, environment: ["SLURM_CONF": conf])
    }
}

/// `reproduce --executor slurm` on a real (local) Slurm: an array, --wait, collect, report, scancel.
@Suite(.serialized, .enabled(if: LocalSlurm.configuration != nil, LocalSlurm.skipReason)) struct SlurmEndToEndTests {
    var conf: String { LocalSlurm.configuration ?? "" }
    var environment: [String: String] { ["SLURM_CONF": conf] }

    @Test func aTinyEntryWithTwoSeedsRunsAsOneArrayAndTheReferenceSeedReproducesBitForBit() throws {
        let dir = Fixtures.temporaryDirectory("slurm-e2e")
        let (sha, top1) = try ReproduceCommandTests.referenceRun(dir)
        let zoo = try ReproduceCommandTests.zoo(in: dir, reference: sha, top1: top1)
        let home = dir.appending(path: "home").path
        let shared = dir.appending(path: "shared")
        let run = try Fixtures.runSkelzoo(["reproduce", "--zoo", zoo.path, "--home", home, "--mode", "train", "--seeds", "3,4",
                                           "--executor", "slurm", "--shared-dir", shared.path, "--cpus-per-task", "1", "--wait"],
                                          environment: environment)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("plan: 2 tasks in \(shared.path)/plan.json"))
        #expect(run.stdout.contains("submitted job array "))
        #expect(run.stdout.contains("task 0 tiny_demo train seed 3: recorded, succeeded"))
        #expect(run.stdout.contains("task 1 tiny_demo train seed 4: recorded, succeeded"))
        #expect(run.stdout.contains("tiny_demo: reproduces bit-for-bit"), "\(run.stdout)")
        #expect(run.stderr.contains("0 pending, 0 running, 2 done, 0 failed"), "\(run.stderr)")

        // Collecting again records nothing new.
        let again = try Fixtures.runSkelzoo(["collect", shared.path, "--zoo", zoo.path, "--home", home], environment: environment)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("summary: 0 recorded, 2 already collected, 0 not finished"), "\(again.stdout)")
        let show = try Fixtures.runSkelzoo(["show", "tiny_demo", "--zoo", zoo.path, "--home", home, "--json"])
        #expect(show.stdout.components(separatedBy: "\"status\" : \"succeeded\"").count - 1 == 2, "\(show.stdout)")

        // The report reads them as it reads local runs, with where they ran.
        let out = dir.appending(path: "reports")
        #expect(try Fixtures.runSkelzoo(["report", "--zoo", zoo.path, "--home", home, "--out", out.path]).status == 0)
        let details = try String(contentsOf: out.appending(path: "runs/tiny_demo.md"), encoding: .utf8)
        #expect(details.contains("weights_sha256 | `\(sha)`"))
        #expect(details.contains("| executor | slurm |") && details.contains("| node | localnode |") && details.contains("| Slurm state | COMPLETED |"), "\(details)")
    }

    @Test func aRequeuedTaskResumesFromLatestAndStillGivesTheReferenceBits() throws {
        let dir = Fixtures.temporaryDirectory("slurm-requeue")
        let (sha, top1) = try ReproduceCommandTests.referenceRun(dir)
        let zoo = try ReproduceCommandTests.zoo(in: dir, reference: sha, top1: top1)
        let home = dir.appending(path: "home").path
        let shared = dir.appending(path: "shared")
        let run = try Fixtures.runSkelzoo(["reproduce", "--zoo", zoo.path, "--home", home, "--mode", "train", "--seeds", "3",
                                           "--executor", "slurm", "--shared-dir", shared.path, "--cpus-per-task", "1"], environment: environment)
        #expect(run.status == 0, "\(run.stderr)")
        let submission = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: shared.appending(path: "submission.json"))) as? [String: Any])
        let job = try #require(submission["job_id"] as? String)
        let work = shared.appending(path: "work/0-tiny_demo-train-seed3")
        // Requeued mid-run once epoch 1's latest.pth is there, as a preemption would.
        var deadline = Date().addingTimeInterval(300)
        while Date() < deadline && !FileManager.default.fileExists(atPath: work.appending(path: "latest.pth").path) { usleep(100_000) }
        #expect(!FileManager.default.fileExists(atPath: work.appending(path: "result.json").path), "the task finished before it could be requeued")
        #expect(try LocalSlurm.run(["scontrol", "requeue", "\(job)_0"], conf: conf).status == 0)
        // Slurm holds a requeued task back (BeginTime, about two minutes) while the old credential is revoked; starting it
        // sooner (scontrol update StartTime=now) fails it with "Job credential revoked", so this test waits.
        deadline = Date().addingTimeInterval(600)
        while Date() < deadline, let live = try? LocalSlurm.run(["squeue", "-h", "-r", "-j", job], conf: conf), !live.stdout.isEmpty { usleep(500_000) }
        let collect = try Fixtures.runSkelzoo(["collect", shared.path, "--zoo", zoo.path, "--home", home], environment: environment)
        #expect(collect.status == 0, "\(collect.stdout)\n\(collect.stderr)")
        #expect(collect.stdout.contains("task 0 tiny_demo train seed 3: recorded, succeeded"))
        #expect(collect.stdout.contains("tiny_demo: reproduces bit-for-bit"), "\(collect.stdout)")
        let attempt = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: work.appending(path: "task.json"))) as? [String: Any])
        #expect(attempt["attempts"] as? Int == 2 && attempt["restart_count"] as? Int == 1, "\(attempt)")
        let log = try String(contentsOf: shared.appending(path: "logs/\(job)_0.out"), encoding: .utf8)
        #expect(log.contains("resuming \(work.path) after epoch"), "\(log)")
    }

    @Test func aCancelledTaskIsRecordedFailedWithItsState() throws {
        let dir = Fixtures.temporaryDirectory("slurm-cancel")
        let zoo = try ReproduceCommandTests.zoo(in: dir, reference: nil, top1: "50.00")
        let home = dir.appending(path: "home").path
        let shared = dir.appending(path: "shared")
        // Held, so it is cancelled before it starts, whatever the cluster's load.
        let run = try Fixtures.runSkelzoo(["reproduce", "--zoo", zoo.path, "--home", home, "--seeds", "5", "--executor", "slurm",
                                           "--shared-dir", shared.path, "--sbatch-line=--hold"], environment: environment)
        #expect(run.status == 0, "\(run.stderr)")
        let submission = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: shared.appending(path: "submission.json"))) as? [String: Any])
        let job = try #require(submission["job_id"] as? String)
        #expect(try LocalSlurm.run(["scancel", job], conf: conf).status == 0)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, let live = try? LocalSlurm.run(["squeue", "-h", "-j", job], conf: conf), !live.stdout.isEmpty { usleep(200_000) }
        let collect = try Fixtures.runSkelzoo(["collect", shared.path, "--zoo", zoo.path, "--home", home], environment: environment)
        #expect(collect.status == 1)
        #expect(collect.stdout.contains("task 0 tiny_demo train seed 5: recorded, failed (CANCELLED)"), "\(collect.stdout)\n\(collect.stderr)")
        let show = try Fixtures.runSkelzoo(["show", "tiny_demo", "--zoo", zoo.path, "--home", home, "--json"])
        #expect(show.stdout.contains("slurm state CANCELLED"), "\(show.stdout)")
        let twice = try Fixtures.runSkelzoo(["collect", shared.path, "--zoo", zoo.path, "--home", home], environment: environment)
        #expect(twice.stdout.contains("summary: 0 recorded, 1 already collected, 0 not finished"), "\(twice.stdout)")
    }
}

/// `reproduce --executor slurm --dry-run` and `run-task` without any Slurm: always run.
@Suite struct SlurmDryRunTests {
    @Test func aDryRunWritesPlanDataAndScriptAndRunTaskAndCollectWorkOnIt() throws {
        let dir = Fixtures.temporaryDirectory("slurm-dry")
        let zoo = try ReproduceCommandTests.zoo(in: dir, reference: nil, top1: "50.00")
        let home = dir.appending(path: "home").path
        let shared = dir.appending(path: "shared")
        let run = try Fixtures.runSkelzoo(["reproduce", "--zoo", zoo.path, "--home", home, "--seeds", "0,1", "--executor", "slurm",
                                           "--shared-dir", shared.path, "--cpus-per-task", "2", "--array-parallelism", "1",
                                           "--partition", "debug", "--dry-run"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("dry run: not submitted; submit with `sbatch \(shared.path)/submit.sbatch`"))
        let script = try String(contentsOf: shared.appending(path: "submit.sbatch"), encoding: .utf8)
        #expect(script.contains("#SBATCH --array=0-1%1\n") && script.contains("#SBATCH --partition=debug\n") && script.contains("--threads 2 &"))
        #expect(script.contains("SKELZOO='\(Fixtures.skelzooBinary.resolvingSymlinksInPath().path)'"), "\(script)")
        #expect(FileManager.default.fileExists(atPath: shared.appending(path: "data/tiny/train.pkl").path))
        #expect(!FileManager.default.fileExists(atPath: shared.appending(path: "submission.json").path))

        // The task runs anywhere the shared dir is, without the registry; collect imports it.
        let task = try Fixtures.runSkelzoo(["run-task", shared.appending(path: "plan.json").path, "1", "--threads", "1"])
        #expect(task.status == 0, "\(task.stderr)")
        #expect(task.stdout.hasPrefix("task 1: done\n") && task.stdout.contains("weights_sha256: "))
        let collect = try Fixtures.runSkelzoo(["collect", shared.path, "--zoo", zoo.path, "--home", home, "--offline"])
        #expect(collect.stdout.contains("task 0 tiny_demo train seed 0: not finished (not submitted)"), "\(collect.stdout)")
        #expect(collect.stdout.contains("task 1 tiny_demo train seed 1: recorded, succeeded"))

        // A second reproduce into the same shared dir is refused.
        let second = try Fixtures.runSkelzoo(["reproduce", "--zoo", zoo.path, "--home", home, "--executor", "slurm", "--shared-dir", shared.path, "--dry-run"])
        #expect(second.status == 1 && second.stderr.hasPrefix("error: \(shared.path) already holds a plan"))
    }

    @Test func slurmOptionsWithoutTheSlurmExecutorAreRejected() throws {
        let result = try Fixtures.runSkelzoo(["reproduce", "--shared-dir", "/tmp/x", "--home", Fixtures.temporaryDirectory().path])
        #expect(result.status != 0 && result.stderr.contains("--shared-dir, --wait and --dry-run need --executor slurm"))
        let missing = try Fixtures.runSkelzoo(["reproduce", "--executor", "slurm", "--home", Fixtures.temporaryDirectory().path])
        #expect(missing.status != 0 && missing.stderr.contains("--executor slurm needs --shared-dir DIR"))
    }
}
