import Testing
import ZooHarness

@Suite struct SlurmQueryTests {
    @Test func squeueLinesGiveEachLiveTaskItsState() {
        let states = SlurmQuery.parseSqueue("0|RUNNING|node7\n1|PENDING|\n3|REQUEUED|\nN/A|PENDING|\n")
        #expect(states == [0: .init(index: 0, state: "RUNNING", node: "node7"), 1: .init(index: 1, state: "PENDING"),
                           3: .init(index: 3, state: "REQUEUED")])
    }

    @Test func sacctKeepsTheLastLineOfARequeuedTaskAndSkipsUnsplitRanges() {
        let text = """
        812_0|COMPLETED|n1|0:0
        812_1|NODE_FAIL|n2|0:0
        812_1|TIMEOUT|n3|0:15
        812_2|CANCELLED by 0|n1|0:15
        812_[3-5]|PENDING|None assigned|0:0
        999_0|FAILED|n1|1:0
        """
        let states = SlurmQuery.parseSacct(text, arrayJobId: "812")
        #expect(states == [0: .init(index: 0, state: "COMPLETED", node: "n1", exitCode: "0:0"),
                           1: .init(index: 1, state: "TIMEOUT", node: "n3", exitCode: "0:15"),
                           2: .init(index: 2, state: "CANCELLED", node: "n1", exitCode: "0:15")])
    }

    @Test func scontrolOneLinersGiveStateNodeAndExitCode() {
        let text = """
        JobId=14 ArrayJobId=12 ArrayTaskId=1 JobName=skelzoo JobState=FAILED Reason=NonZeroExitCode ExitCode=1:0 NodeList=localnode
        JobId=12 ArrayJobId=12 ArrayTaskId=2-3 JobName=skelzoo JobState=PENDING ExitCode=0:0 NodeList=(null)
        JobId=13 ArrayJobId=12 ArrayTaskId=0 JobName=skelzoo JobState=COMPLETED ExitCode=0:0 NodeList=localnode
        """
        let states = SlurmQuery.parseScontrol(text, arrayJobId: "12")
        #expect(states == [1: .init(index: 1, state: "FAILED", node: "localnode", exitCode: "1:0"),
                           0: .init(index: 0, state: "COMPLETED", node: "localnode", exitCode: "0:0")])
        #expect(states[1]?.isTerminal == true)
        #expect(SlurmTaskState(index: 0, state: "REQUEUED").isTerminal == false)
    }

    @Test func submitReadsTheParsableJobIdAndRejectsAnythingElse() throws {
        let ok = SlurmCommands { arguments in
            #expect(arguments.prefix(2) == ["sbatch", "--parsable"])
            return (0, "4711;cluster\n", "")
        }
        #expect(try ok.submit(script: .init(fileURLWithPath: "/s.sbatch")) == "4711")
        let refused = SlurmCommands { _ in (1, "", "sbatch: error: invalid partition specified: gpu\n") }
        let error = #expect(throws: HarnessError.self) { try refused.submit(script: .init(fileURLWithPath: "/s.sbatch")) }
        #expect(error?.message == "sbatch --parsable /s.sbatch failed (status 1): sbatch: error: invalid partition specified: gpu")
        // squeue forgets a finished job: that means nothing is live, not an error.
        let forgotten = SlurmCommands { _ in (1, "", "slurm_load_jobs error: Invalid job id specified\n") }
        #expect(try forgotten.live(job: "12").isEmpty)
    }

    @Test func finalFallsBackToScontrolWithoutAccounting() throws {
        let commands = SlurmCommands { arguments in
            if arguments[0] == "sacct" { return (1, "", "Slurm accounting storage is disabled\n") }
            return (0, "JobId=13 ArrayJobId=12 ArrayTaskId=0 JobState=TIMEOUT ExitCode=0:15 NodeList=n1\n", "")
        }
        #expect(try commands.final(job: "12") == [0: .init(index: 0, state: "TIMEOUT", node: "n1", exitCode: "0:15")])
    }
}

extension SlurmQueryTests {
    @Test func aControllerThatDoesNotAnswerIsAnErrorNotAnUnknownState() throws {
        let down = SlurmCommands { arguments in
            arguments[0] == "sacct" ? (1, "", "sacct: error: accounting storage is disabled\n")
                : (1, "", "slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n")
        }
        let error = #expect(throws: HarnessError.self) { try down.final(job: "12") }
        #expect(error?.message.contains("Unable to contact slurm controller") == true)
        let forgotten = SlurmCommands { arguments in
            arguments[0] == "sacct" ? (1, "", "") : (1, "", "slurm_load_jobs error: Invalid job id specified\n")
        }
        #expect(try forgotten.final(job: "12").isEmpty)
    }
}
