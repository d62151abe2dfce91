// What a 1.x training checkpoint needs of a recognizer beyond its state_dict: the trainable parameters' shapes in
// `model.parameters()` order, which the optimizer's momentum buffers follow.
import ZooTensor

extension RecognizerGCN {
    /// Each trainable tensor in `model.parameters()` order: its PyTorch shape (as the state_dict holds it) and the
    /// shape SkelZoo stores it in (``SGD/buffers`` have the latter).
    public var parameterShapes: [(torch: [Int], stored: [Int])] {
        let (values, paths) = trainableParameters()
        let backbone: [[Int]] = switch network {
        case .stgcn(let model): model.stateEntries.filter(\.slot.isParameter).map(\.shape)
        case .aagcn(let model): model.stateEntries.filter(\.slot.isParameter).map(\.shape)
        }
        let torch = backbone + headEntries.map(\.shape)
        precondition(torch.count == paths.count, "state_dict parameters and trainable tensors agree")
        return zip(torch, paths).map { ($0, values[keyPath: $1].shape) }
    }
}
