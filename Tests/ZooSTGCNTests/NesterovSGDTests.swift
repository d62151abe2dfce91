import Testing
import ZooTensor
@testable import ZooSTGCN

/// ``SGD`` with the 1.x configs' hyperparameters against `torch.optim.SGD(lr, momentum=0.9, weight_decay=0.0005,
/// nesterov=True, foreach=False)` on float32 tensors (torch 2.13 CPU), values written down once by hand.
@Suite struct NesterovSGDTests {
    struct Parameters { var weight: Tensor }

    @Test func twoNesterovStepsMatchTorch() {
        var parameters = Parameters(weight: Tensor(shape: [4], storage: [0.5, -1.25, 2.0, 0.001]))
        var optimizer = SGD(momentum: 0.9, weightDecay: 0.0005, nesterov: true)
        let paths: [WritableKeyPath<Parameters, Tensor>] = [\.weight]
        // Step 1 (lr 0.1): the momentum buffer starts as the decayed gradient.
        optimizer.step(&parameters, Parameters(weight: Tensor(shape: [4], storage: [0.1, -0.3, 0.05, 7.0])), paths: paths, lr: Float(0.1))
        #expect(parameters.weight.storage == [0x1.ec7ed0p-2, -0x1.3160aap+0, 0x1.fd84f4p+0, -0x1.54395ap+0])
        #expect(optimizer.buffers?[0].storage == [0x1.9a9fbep-4, -0x1.33d70cp-2, 0x1.a1cac0p-5, 0x1.c00002p+2])
        // Step 2 (lr 0.0933, a cosine step): buf = 0.9 buf + g, p -= lr (g + 0.9 buf).
        optimizer.step(&parameters, Parameters(weight: Tensor(shape: [4], storage: [-0.2, 0.4, 0.01, -3.0])), paths: paths, lr: Float(0.0933))
        #expect(parameters.weight.storage == [0x1.047fd2p-1, -0x1.3dafd8p+0, 0x1.fc08a0p+0, -0x1.537a32p+0])
        #expect(optimizer.buffers?[0].storage == [-0x1.c0a748p-4, 0x1.07ddd0p-3, 0x1.d215c8p-5, 0x1.a650a2p+1])
    }
}
