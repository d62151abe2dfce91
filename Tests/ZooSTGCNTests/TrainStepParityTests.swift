import Foundation
import Testing
import ZooTensor
import ZooTestSupport
import ZooTorch
@testable import ZooSTGCN

/// One MMAction2 training step (train-mode BN, CrossEntropyLoss, backward, SGD nesterov) against PyTorch.
@Suite struct TrainStepParityTests {
    static func gradientsByName(_ model: STGCN, _ gradients: STGCN.Gradients) -> [String: [Float]] {
        var result: [String: [Float]] = [:]
        for entry in model.stateEntries {
            if case .parameter(let path) = entry.slot { result[entry.name] = gradients[keyPath: path].storage }
        }
        return result
    }

    static func step(_ directory: String) throws -> (STGCN, STGCN.Gradients, Float) {
        var model = try Variant.all[0].model()
        let input = try FixtureTensor.load("v1_coco60/\(directory)/input")
        let labels = try FixtureTensor.load("v1_coco60/\(directory)/labels").values.map { Int($0) }
        let (logits, _, saved) = model.forward(Tensor(shape: input.shape, storage: input.floats), training: true, threads: 2)
        let (loss, dLogits) = Loss.crossEntropy(lossWeight: 1).forward(logits, labels: labels)
        var gradients = model.zeroGradients()
        model.backward(dLogits, try #require(saved), into: &gradients, threads: 2)
        return (model, gradients, loss)
    }

    @Test func lossLogitsAndEveryGradientMatchPyTorch() throws {
        let (model, gradients, loss) = try Self.step("train_step_T20")
        let expectedLoss = try FixtureTensor.load("v1_coco60/train_step_T20/loss")
        #expect(abs(Double(loss) - expectedLoss.values[0]) < 1e-4)
        let ours = Self.gradientsByName(model, gradients)
        #expect(ours.count == 102)
        for (name, values) in ours.sorted(by: { $0.key < $1.key }) {
            let expected = try FixtureTensor.load("v1_coco60/train_step_T20/grad/\(name)")
            expectClose(values, expected.floats, absolute: 1e-4, relative: 1e-4, name)
        }
    }

    @Test func sgdStepAndBatchNormRunningStatsMatchPyTorch() throws {
        var (model, gradients, _) = try Self.step("train_step_T20")
        var optimizer = SGD(momentum: 0.9, weightDecay: 1e-4, nesterov: true)
        optimizer.step(&model, gradients, lr: 0.1)
        _ = gradients
        for (name, _, value) in model.stateDict() {
            let expected = try FixtureTensor.load("v1_coco60/train_step_T20/after_step/\(name)")
            switch value {
            case .floats(let values): expectClose(values, expected.floats, absolute: 1e-4, relative: 1e-4, name)
            case .int64(let count): #expect(Double(count) == expected.values[0], "\(name)")
            }
        }
    }

    @Test func fullLengthGradientsMatchPyTorchWithinTheReferencesOwnAccuracy() throws {
        let (model, gradients, loss) = try Self.step("train_step_T300")
        #expect(abs(Double(loss) - (try FixtureTensor.load("v1_coco60/train_step_T300/loss")).values[0]) < 1e-4)
        let ours = Self.gradientsByName(model, gradients)
        let available = try FileManager.default.contentsOfDirectory(atPath: Fixtures.url("v1_coco60/train_step_T300/grad").path)
            .filter { $0.hasSuffix(".bin") }.map { String($0.dropLast(4)) }
        #expect(available.count > 50)
        for name in available.sorted() {
            let expected = try FixtureTensor.load("v1_coco60/train_step_T300/grad/\(name)")
            // At T=300 the reference itself is only this good: block 0's fixture gradients differ from the same
            // model evaluated in float64 by up to 7e-4 (conv weight, max |g| 0.16), ours by up to 5.5e-4, both from
            // float32 accumulation over 20 400 positions. So the bound is scaled by the tensor's magnitude.
            let scale = expected.floats.map(abs).max() ?? 0
            expectClose(try #require(ours[name]), expected.floats, absolute: 1e-4 + 5e-3 * scale, relative: 0, name)
        }
    }
}
