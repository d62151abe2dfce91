// Memory a training step reuses: the fused training forward and backward take their large buffers (saved state,
// activations, gradients in flight, per-worker scratch) from here and hand them back when done, so a run maps them
// once instead of once per block and step. It changes where values live, never a value or an operation order.
import Synchronization
import ZooTensor

/// Float buffers by exact size, reused across the blocks of a step and across steps.
///
/// `skelzoo` fixes glibc's mmap threshold at 1 MiB (for training's peak RSS), so every large buffer allocated afresh
/// is a fresh mapping, faulted in page by page and unmapped when freed; a training step would pay that for each of its
/// blocks' buffers, every step. A step's buffers come in few sizes (C·T is the same across ST-GCN's stages), so
/// buffers kept by exact size are reused as soon as the step before has released them.
///
/// Hand a buffer back only when nothing else will write it: a buffer still referenced elsewhere when it is taken
/// again is copied on write (correct, but a fresh mapping again). One workspace serves one step at a time; keep one
/// for a whole run to reuse buffers across steps (``STGCN/forward(_:training:dropoutRNG:threads:activationBudget:workspace:)``).
public final class TrainingWorkspace: Sendable {
    private struct Held {
        /// Idle buffers by element count.
        var buffers: [Int: [[Float]]] = [:]
        /// The phases' scratch: one buffer, the largest asked for so far (empty while a phase holds it).
        var scratch: [Float] = []
    }

    private let held = Mutex(Held())

    public init() {}

    /// A buffer of `count` zeros.
    func zeros(_ count: Int) -> [Float] {
        var buffer = reused(count)
        buffer.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        return buffer
    }

    /// A buffer of `count` values left from its last use (zeros when new): for outputs written in full.
    func reused(_ count: Int) -> [Float] {
        held.withLock { $0.buffers[count]?.popLast() } ?? [Float](repeating: 0, count: count)
    }

    /// A tensor of `shape` filled with zeros, like ``Tensor/init(zeros:value:)``.
    func zeros(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: zeros(shape.reduce(1, *)))
    }

    /// A tensor of `shape` whose values `body` writes in full, like ``Tensor/init(uninitialized:_:)``.
    func tensor(_ shape: [Int], _ body: (UnsafeMutableBufferPointer<Float>) -> Void) -> Tensor {
        var storage = reused(shape.reduce(1, *))
        storage.withUnsafeMutableBufferPointer { body($0) }
        return Tensor(shape: shape, storage: storage)
    }

    /// Takes `buffer` back for reuse (empty buffers are dropped).
    func recycle(_ buffer: [Float]) {
        guard !buffer.isEmpty else { return }
        held.withLock { $0.buffers[buffer.count, default: []].append(buffer) }
    }

    /// Takes back a tensor's storage.
    func recycle(_ tensor: Tensor) {
        recycle(tensor.storage)
    }

    /// Takes back every tensor's storage.
    func recycle(_ tensors: [Tensor]) {
        for tensor in tensors { recycle(tensor.storage) }
    }

    /// Scratch for one phase: at least `count` values, the first `count` zero. Every phase shares one buffer (grown to
    /// the largest phase's, so its size does not add up over the phases' many sizes): hand it back with
    /// ``recycleScratch(_:)`` before the next phase takes it.
    func scratch(_ count: Int) -> [Float] {
        var buffer = held.withLock { held in
            let buffer = held.scratch
            held.scratch = []
            return buffer
        }
        if buffer.count < count {
            buffer = []  // freed before its larger successor is mapped
            return [Float](repeating: 0, count: count)
        }
        buffer.withUnsafeMutableBufferPointer { UnsafeMutableBufferPointer(rebasing: $0[..<count]).update(repeating: 0) }
        return buffer
    }

    /// Takes back the scratch from ``scratch(_:)``.
    func recycleScratch(_ buffer: [Float]) {
        held.withLock { if buffer.count > $0.scratch.count { $0.scratch = buffer } }
    }

    /// Floats held for reuse (for tests and measurements).
    public var heldCount: Int {
        held.withLock { $0.scratch.count + $0.buffers.reduce(0) { $0 + $1.key * $1.value.count } }
    }
}

extension TrainingWorkspace {
    /// Takes back a block state's tensors.
    func recycle(_ state: STGCNBlock.TrainState) {
        recycle([state.temporalOutput, state.aggregated, state.projected, state.residualOutput].compactMap { $0 })
    }

    /// Takes back a training forward's block outputs and kept block states (the blocks' input came from the data BN,
    /// not from here).
    func recycle(_ saved: STGCN.Saved) {
        recycle(Array(saved.activations.dropFirst()))
        for case .kept(let state) in saved.blocks { recycle(state) }
    }
}
