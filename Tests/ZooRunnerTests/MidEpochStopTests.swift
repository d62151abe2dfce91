import Foundation
import Testing
import ZooConfig
import ZooIO
import ZooSTGCN
import ZooTestSupport
@testable import ZooRunner
#if canImport(Glibc)
import Glibc
#endif

/// A run asked to stop (a Slurm preemption or time limit) writes latest.pth at the next iteration boundary, mid-epoch,
/// and resumed from it ends with the bits of an uninterrupted run.
@Suite(.serialized) struct MidEpochStopTests {
    /// Trains the tiny config; `stopAt(epoch, step, steps)` returning true asks the run to stop after that iteration.
    static func train(gpus: Int = 1, threads: Int, directory: URL, resume: Bool = false, stop: StopRequest? = nil,
                      stopAt: @escaping (Int, Int, Int) -> Bool = { _, _, _ in false }) throws -> TrainingResult {
        let text = TinyConfig.text()
        let config = try TinyConfig.config(text)
        let (train, val) = try DeterminismTests.data(config, root: Fixtures.temporaryDirectory("tiny-data"))
        var setup = TrainingSetup(config: config, configHash: Hashing.sha256(Data(text.utf8)), configName: "tiny", seed: 0,
                                  threads: threads, workDirectory: directory, resume: resume, gpus: gpus)
        setup.stopRequest = stop
        return try Trainer(setup, train: train, val: val).run { event in
            if case .iteration(let epoch, let step, let steps, _, _, _) = event, stopAt(epoch, step, steps) { stop?.request() }
        }
    }

    /// Stops once in the middle of `epoch`, checks what latest.pth holds, resumes, and returns the resumed result.
    static func stopAndResume(gpus: Int, epoch stopEpoch: Int, threads: (Int, Int)) throws -> (TrainingResult, URL) {
        let directory = Fixtures.temporaryDirectory("tiny-stop")
        let stop = StopRequest()
        var stoppedAt: (step: Int, steps: Int)?
        do {
            _ = try train(gpus: gpus, threads: threads.0, directory: directory, stop: stop) { epoch, step, steps in
                guard epoch == stopEpoch, step == max(1, steps / 2), stoppedAt == nil else { return false }
                stoppedAt = (step, steps)
                return true
            }
            Issue.record("the run was asked to stop and finished instead")
        } catch let error as RunnerError {
            #expect(error.code == .stopped, "\(error)")
        }
        let (step, steps) = try #require(stoppedAt)
        #expect(step < steps, "the tiny epoch must have more than one step to stop mid-epoch")
        #expect(!FileManager.default.fileExists(atPath: directory.appending(path: "result.json").path))
        // latest.pth is mid-epoch: completed epochs, the global iteration, and the step within the epoch in progress.
        var model = STGCN(STGCNConfiguration(try TinyConfig.config().model))
        var optimizer = SGD(momentum: 0.9, weightDecay: 1e-4, nesterov: true)
        let restored = try CheckpointIO.restoreRun(from: directory.appending(path: "latest.pth"), into: &model, optimizer: &optimizer)
        #expect(restored.position.epoch == stopEpoch - 1)
        #expect(restored.position.stepInEpoch == step)
        #expect(restored.position.iteration == (stopEpoch - 1) * steps + step)
        #expect(restored.gpus == gpus)
        return (try train(gpus: gpus, threads: threads.1, directory: directory, resume: true), directory)
    }

    @Test func stoppedMidEpochAndResumedGivesTheStraightRunsBits() throws {
        let straightDirectory = Fixtures.temporaryDirectory("tiny-straight")
        let straight = try Self.train(threads: 2, directory: straightDirectory)
        let (resumed, directory) = try Self.stopAndResume(gpus: 1, epoch: 2, threads: (2, 1))
        #expect(resumed.weightsSHA256 == straight.weightsSHA256)
        #expect(resumed.history == straight.history)   // the epoch's mean loss includes the steps before the stop
        #expect(try DeterminismTests.losses(directory) == DeterminismTests.losses(straightDirectory))
    }

    @Test func twoGPUsStoppedMidEpochAndResumedOnOtherThreadsGiveTheStraightRunsBits() throws {
        let straight = try DataParallelTrainingTests.train(gpus: 2, threads: 2)
        let (resumed, directory) = try Self.stopAndResume(gpus: 2, epoch: 1, threads: (1, 2))
        #expect(resumed.weightsSHA256 == straight.result.weightsSHA256)
        #expect(try DeterminismTests.losses(directory) == straight.losses)
    }

    /// The real path: SIGUSR1 to this process runs the handler, which sets the flag the trainer reads.
    @Test func sigusr1SetsTheFlagAndTheRunStopsAtTheNextIteration() throws {
        StopSignals.install([SIGUSR1])
        let directory = Fixtures.temporaryDirectory("tiny-sigusr1")
        var iterations = 0
        do {
            _ = try Self.train(threads: 2, directory: directory, stop: StopSignals.request) { _, _, _ in
                iterations += 1
                if iterations == 2 {
                    // To the process, as Slurm's batch shell sends it: a thread that does not block USR1 runs the handler.
                    kill(getpid(), SIGUSR1)
                    let deadline = Date().addingTimeInterval(10)
                    while !StopSignals.request.isRequested && Date() < deadline { usleep(1000) }
                }
                return false
            }
            Issue.record("SIGUSR1 did not stop the run")
        } catch let error as RunnerError {
            #expect(error.code == .stopped)
        }
        #expect(iterations == 2)
        #expect(StopSignals.request.isRequested)
    }

    @Test func aStopRequestedAtAnEpochsLastStepStopsAfterItsCheckpoint() throws {
        let straight = try Self.train(threads: 2, directory: Fixtures.temporaryDirectory("tiny-straight-end"))
        let directory = Fixtures.temporaryDirectory("tiny-stop-end")
        let stop = StopRequest()
        #expect(throws: RunnerError.self) {
            _ = try Self.train(threads: 2, directory: directory, stop: stop) { epoch, step, steps in epoch == 1 && step == steps }
        }
        var model = STGCN(STGCNConfiguration(try TinyConfig.config().model))
        var optimizer = SGD(momentum: 0.9, weightDecay: 1e-4, nesterov: true)
        let restored = try CheckpointIO.restoreRun(from: directory.appending(path: "latest.pth"), into: &model, optimizer: &optimizer)
        #expect(restored.position.epoch == 1 && restored.position.stepInEpoch == 0)
        #expect(try Self.train(threads: 2, directory: directory, resume: true).weightsSHA256 == straight.weightsSHA256)
    }
}
