// A contiguous, row-major Float32 tensor: a shape and a flat array. Value semantics (copy on write);
// kernels work on its buffer pointers. Deliberately small: no strides, no broadcasting, no autograd.

/// A dense row-major Float32 tensor.
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    public var storage: [Float]

    /// A tensor of `shape` filled with `value`.
    public init(zeros shape: [Int], value: Float = 0) {
        self.shape = shape
        storage = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor over existing values.
    public init(shape: [Int], storage: [Float]) {
        precondition(shape.reduce(1, *) == storage.count, "shape \(shape) holds \(shape.reduce(1, *)) values, got \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// A tensor of `shape` whose storage is filled by `body` (no zero fill).
    public init(uninitialized shape: [Int], _ body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        self.shape = shape
        let count = shape.reduce(1, *)
        storage = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            body(buffer)
            initialized = count
        }
    }

    public var count: Int { storage.count }
    public var rank: Int { shape.count }

    /// The same values under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }

    public mutating func reshape(_ newShape: [Int]) {
        precondition(newShape.reduce(1, *) == storage.count, "cannot reshape \(shape) to \(newShape)")
        shape = newShape
    }

    @inlinable public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    @inlinable public mutating func withUnsafeMutableBufferPointer<R>(_ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer(body)
    }

    /// Fills with zeros in place.
    public mutating func zero() {
        storage.withUnsafeMutableBufferPointer { buffer in
            buffer.initialize(repeating: 0)
        }
    }
}

extension Tensor {
    /// Calls `body` with the base addresses of `tensors`' storage, all pinned for the call (an empty tensor gets a
    /// valid pointer to nothing). Saves a nest of `withUnsafeBufferPointer` closures where a kernel reads many tensors.
    public static func withBaseAddresses<R>(_ tensors: [Tensor], _ body: ([UnsafePointer<Float>]) throws -> R) rethrows -> R {
        try pin(tensors[...], [], body)
    }

    private static func pin<R>(_ tensors: ArraySlice<Tensor>, _ pinned: [UnsafePointer<Float>],
                               _ body: ([UnsafePointer<Float>]) throws -> R) rethrows -> R {
        guard let first = tensors.first else { return try body(pinned) }
        return try first.withUnsafeBufferPointer { buffer in
            try pin(tensors.dropFirst(), pinned + [buffer.baseAddress ?? UnsafePointer(emptyStorage)], body)
        }
    }

    nonisolated(unsafe) private static let emptyStorage = UnsafeMutablePointer<Float>.allocate(capacity: 1)
}
