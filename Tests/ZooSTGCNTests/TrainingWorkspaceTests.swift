import Testing
import ZooTensor
@testable import ZooSTGCN

/// One ``TrainingWorkspace`` for a whole run: its buffers go from step to step (and from block to block), which must
/// change no bit, and a step hands back everything it took, so the workspace does not grow after the first step.
@Suite struct TrainingWorkspaceTests {
    /// Logits and gradients of every step, then the final weights, as bit patterns; and the workspace's held floats
    /// after each step.
    static func run(steps: Int, budget: Int, threads: Int, shared: TrainingWorkspace?) -> (bits: [[UInt32]], held: [Int]) {
        var model = RecomputeTests.model()
        var optimizer = SGD(momentum: 0.9, weightDecay: 1e-4, nesterov: false)
        var bits: [[UInt32]] = [], held: [Int] = []
        for step in 0..<steps {
            let workspace = shared ?? TrainingWorkspace()
            let (logits, _, saved) = model.forward(RecomputeTests.input, training: true, dropoutRNG: CounterRNG(seed: 9, stream: 3).substream(UInt64(step)),
                                                   threads: threads, activationBudget: budget, workspace: workspace)
            let (_, dLogits) = Loss.crossEntropy(lossWeight: 1).forward(logits, labels: [0, 3, 4])
            var gradients = model.zeroGradients()
            model.backward(dLogits, saved!, into: &gradients, threads: threads)
            optimizer.step(&model, gradients, lr: 0.1)
            bits.append(logits.storage.map(\.bitPattern))
            gradients.visitTensors { bits.append($0.storage.map(\.bitPattern)) }
            held.append(workspace.heldCount)
        }
        model.parameters.visitTensors { bits.append($0.storage.map(\.bitPattern)) }
        return (bits, held)
    }

    // Every block rerun in backward (1 thread); the first blocks compact, the rest rerun; every block kept in full.
    @Test(arguments: [(0, 1), (400_000, 2), (Int.max, 2)])
    func reusedWorkspaceGivesTheBitsOfFreshOnes(_ budget: Int, _ threads: Int) {
        let fresh = Self.run(steps: 3, budget: budget, threads: threads, shared: nil)
        let reused = Self.run(steps: 3, budget: budget, threads: threads, shared: TrainingWorkspace())
        #expect(fresh.bits == reused.bits)
        #expect(reused.held[0] > 0)
        #expect(reused.held == [Int](repeating: reused.held[0], count: 3), "held floats per step: \(reused.held)")
    }
}
