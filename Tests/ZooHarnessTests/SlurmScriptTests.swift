import Foundation
import Testing
import ZooHarness
import ZooTestSupport

@Suite struct SlurmScriptTests {
    static func options() -> SlurmOptions {
        var options = SlurmOptions()
        options.partition = "cpu"
        options.time = "2-00:00:00"
        options.cpusPerTask = 4
        options.memory = "8G"
        options.parallelism = 2
        options.account = "proj42"
        options.qos = "normal"
        options.extraDirectives = ["--constraint=avx512", "#SBATCH --exclusive"]
        return options
    }

    @Test func theScriptIsAnArrayWithEveryOptionRequeueAndSignal() throws {
        let (plan, url) = try HarnessFixtures.plan(seeds: [0, 1, 2, 3])
        let script = SlurmScript.render(plan: plan, planURL: url, options: Self.options(), executable: "/opt/sz/bin/skelzoo")
        let directives = script.split(separator: "\n").filter { $0.hasPrefix("#SBATCH") }.map(String.init)
        #expect(directives == [
            "#SBATCH --job-name=skelzoo", "#SBATCH --array=0-3%2", "#SBATCH --cpus-per-task=4", "#SBATCH --ntasks=1",
            "#SBATCH --time=2-00:00:00", "#SBATCH --mem=8G", "#SBATCH --partition=cpu", "#SBATCH --account=proj42", "#SBATCH --qos=normal",
            "#SBATCH --output=\(plan.sharedDir)/logs/%A_%a.out", "#SBATCH --open-mode=append", "#SBATCH --requeue", "#SBATCH --signal=B:USR1@120",
            "#SBATCH --constraint=avx512", "#SBATCH --exclusive",
        ])
        #expect(script.contains("\"$SKELZOO\" run-task \"$PLAN\" \"$TASK\" --threads 4 &"))
        #expect(script.contains("SKELZOO='/opt/sz/bin/skelzoo'"))
        #expect(script.contains("scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\""))
        #expect(script.contains("#   3: tiny_demo train seed 3"))
    }

    @Test func withoutOptionalOptionsOnlyTheNeededLinesAreWritten() throws {
        let (plan, url) = try HarnessFixtures.plan(seeds: [0])
        let script = SlurmScript.render(plan: plan, planURL: url, options: SlurmOptions(), executable: "/x/skelzoo")
        #expect(script.contains("#SBATCH --array=0-0\n"))
        for absent in ["--partition", "--time", "--mem", "--account", "--qos"] { #expect(!script.contains("#SBATCH \(absent)")) }
    }

    @Test func theScriptIsValidBashEvenWithAQuoteInThePath() throws {
        let dir = Fixtures.temporaryDirectory("it's")
        let (plan, url) = try HarnessFixtures.plan(seeds: [0, 1], in: dir)
        let file = dir.appending(path: "submit.sbatch")
        try Data(SlurmScript.render(plan: plan, planURL: url, options: Self.options(), executable: "/o'k/skelzoo").utf8).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-n", file.path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(SlurmScript.shellQuoted("/o'k") == "'/o'\\''k'")
    }

    struct BadOption: CustomTestStringConvertible, Sendable {
        var id: String
        var edit: @Sendable (inout SlurmOptions) -> Void
        var message: String
        var testDescription: String { id }
    }

    static let badOptions: [BadOption] = [
        BadOption(id: "cpus", edit: { $0.cpusPerTask = 0 }, message: "--cpus-per-task must be at least 1"),
        BadOption(id: "parallelism", edit: { $0.parallelism = 0 }, message: "--array-parallelism must be at least 1"),
        BadOption(id: "partition space", edit: { $0.partition = "a b" }, message: "--partition 'a b' is not a valid Slurm value"),
        BadOption(id: "time newline", edit: { $0.time = "1:00\n#SBATCH --x" }, message: "--time '1:00\n#SBATCH --x' is not a valid Slurm value"),
        BadOption(id: "extra line", edit: { $0.extraDirectives = ["--a\n--b"] }, message: "--sbatch-line '--a\n--b' must be one non-empty line"),
    ]

    @Test(arguments: badOptions) func badOptionsAreErrorsNamingTheOption(_ bad: BadOption) throws {
        var options = SlurmOptions()
        bad.edit(&options)
        let error = #expect(throws: HarnessError.self) { try options.validate() }
        #expect(error?.message.hasPrefix(bad.message) == true, "\(error?.message ?? "")")
    }
}
