// What the unpickler lets a pickle name and call. GLOBAL allowlist (anything else is refused at the GLOBAL
// opcode, before any call):
//   collections.OrderedDict                       -> an empty dict
//   torch._utils._rebuild_tensor_v2               -> TensorReference(storage, offset, size, stride)
//   torch._utils._rebuild_parameter               -> its tensor argument
//   torch.{Float,Double,Half,BFloat16,Long,Int,Short,Char,Byte,Bool}Storage (only inside persistent ids)
//   numpy.core.multiarray._reconstruct / numpy._core.multiarray._reconstruct, numpy.ndarray, numpy.dtype
//   numpy.core.multiarray.scalar / numpy._core.multiarray.scalar   -> a Python int/float
//   _codecs.encode(str, 'latin1')                 -> bytes (protocol 2 files written by Python 3)
// Persistent ids: ('storage', <storage class>, key, location, numel[, view_metadata]) -> StorageReference.
// BUILD on a dict keeps the state as attributes (Unpickler.swift); on numpy objects it is read here and not kept,
// so no call result can hold a reference back into the pickle's containers.

extension Unpickler {

    static let numpyModules: Set<String> = ["numpy.core.multiarray", "numpy._core.multiarray"]

    static func allowGlobal(module: String, name: String) throws(CheckpointError) -> PickleValue {
        let allowed: Bool
        switch module {
        case "collections": allowed = name == "OrderedDict"
        case "torch._utils": allowed = name == "_rebuild_tensor_v2" || name == "_rebuild_parameter"
        case "torch": allowed = ScalarType(storageClass: name) != nil
        case "numpy": allowed = name == "ndarray" || name == "dtype"
        case "_codecs": allowed = name == "encode"
        default: allowed = numpyModules.contains(module) && (name == "_reconstruct" || name == "scalar")
        }
        guard allowed else { throw .disallowedGlobal(module: module, name: name) }
        return .global(module: numpyModules.contains(module) ? "numpy.core.multiarray" : module, name: name)
    }

    static func call(_ callable: PickleValue, _ args: [PickleValue]) throws(CheckpointError) -> PickleValue {
        guard case .global(let module, let name) = callable else { throw .badCall("REDUCE on a \(callable.kind), not a global") }
        // An allowed call never takes an opaque object: what it builds would depend on code we did not run.
        if let object = args.lazy.compactMap(\.opaqueObject).first {
            throw .opaqueObject(module: object.module, name: object.name, usedBy: "\(module).\(name)")
        }
        switch (module, name) {
        case ("collections", "OrderedDict"):
            guard args.isEmpty else { throw .badCall("OrderedDict with arguments") }
            return .dict(PickleDict())
        case ("torch._utils", "_rebuild_tensor_v2"):
            guard args.count >= 4, case .storage(let storage) = args[0], let offset = args[1].int,
                  let shape = args[2].items?.map(\.int), let stride = args[3].items?.map(\.int),
                  !shape.contains(nil), !stride.contains(nil) else {
                throw .badCall("_rebuild_tensor_v2(storage, offset, size, stride, ...) with other arguments")
            }
            let reference = TensorReference(storage: storage, offset: offset, shape: shape.map { $0! }, stride: stride.map { $0! })
            try validate(reference)
            return .tensor(reference)
        case ("torch._utils", "_rebuild_parameter"):
            guard let first = args.first, case .tensor = first else { throw .badCall("_rebuild_parameter without a tensor") }
            return first
        case ("numpy.core.multiarray", "_reconstruct"):
            guard args.count == 3, case .global("numpy", "ndarray") = args[0] else { throw .badCall("_reconstruct of something other than numpy.ndarray") }
            return .numpy(NumpyObject(isArray: true))
        case ("numpy", "dtype"):
            guard let code = args.first?.string else { throw .badCall("numpy.dtype without a type code") }
            guard let type = ScalarType(numpy: code) else { throw .badCall("numpy dtype '\(code)' is not supported") }
            let object = NumpyObject(isArray: false)
            object.dtype = type
            return .numpy(object)
        case ("numpy.core.multiarray", "scalar"):
            guard args.count == 2, case .numpy(let dtype) = args[0], let type = dtype.dtype else { throw .badCall("numpy scalar without a dtype") }
            let raw: [UInt8]
            switch args[1] {
            case .bytes(let data): raw = data
            case .string(let text): raw = text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
            default: throw .badCall("numpy scalar without its bytes")
            }
            guard raw.count == type.byteCount else { throw .badCall("numpy scalar of \(raw.count) bytes for \(type)") }
            let values = NumericDecoding.doubles(raw, type: type, count: 1, bigEndian: dtype.bigEndian)
            return type.isFloatingPoint ? .float(values[0]) : .int(Int(values[0]))
        case ("_codecs", "encode"):
            guard args.count == 2, let text = args[0].string, let encoding = args[1].string,
                  encoding == "latin1" || encoding == "latin-1" else {
                throw .badCall("_codecs.encode other than (str, 'latin1')")
            }
            var bytes: [UInt8] = []
            for scalar in text.unicodeScalars {
                guard scalar.value < 256 else { throw .badCall("_codecs.encode: character outside latin1") }
                bytes.append(UInt8(scalar.value))
            }
            return .bytes(bytes)
        default:
            throw .badCall("\(module).\(name) cannot be called")
        }
    }

    static func build(_ target: PickleValue, _ state: PickleValue) throws(CheckpointError) {
        switch target {
        case .opaque:
            // `__setstate__` is never called: the state is dropped, the object stays inert.
            return
        case .numpy(let object) where !object.isArray:
            // dtype state: (version, byteorder, subarray, names, fields, elsize, alignment, flags)
            if let items = state.items, items.count >= 2, let order = items[1].string { object.bigEndian = order == ">" }
        case .numpy(let object):
            // ndarray state: (version, shape, dtype, is_fortran, rawdata)
            guard let items = state.items, items.count == 5, let shapeItems = items[1].items,
                  case .numpy(let dtype) = items[2], let type = dtype.dtype, let fortran = items[3].int else {
                throw .badCall("ndarray state is not (version, shape, dtype, fortran, data)")
            }
            var shape: [Int] = []
            var count = 1
            for item in shapeItems {
                guard let dimension = item.int, dimension >= 0 else { throw .badCall("ndarray shape must be non-negative integers") }
                shape.append(dimension)
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw .sizeOverflow(tensor: "ndarray") }
                count = product
            }
            let data: [UInt8]
            switch items[4] {
            case .bytes(let raw): data = raw
            case .string(let text): data = text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
            default: throw .badCall("ndarray data is a \(items[4].kind), not bytes (object arrays are refused)")
            }
            let (needed, overflow) = count.multipliedReportingOverflow(by: type.byteCount)
            guard !overflow else { throw .sizeOverflow(tensor: "ndarray") }
            guard needed == data.count else { throw .storageOutOfBounds(key: "ndarray", needed: needed, available: data.count) }
            object.array = NumpyArray(shape: shape, type: type, fortranOrder: fortran != 0, bigEndian: dtype.bigEndian, data: data)
        default:
            throw .badCall("BUILD on a \(target.kind)")
        }
    }

    static func persistentLoad(_ pid: PickleValue) throws(CheckpointError) -> PickleValue {
        guard case .tuple(let items) = pid, items.count >= 5, items[0].string == "storage",
              case .global("torch", let className) = items[1], let type = ScalarType(storageClass: className),
              let key = items[2].string, let count = items[4].int, count >= 0 else {
            throw .badCall("persistent id is not ('storage', <storage class>, key, location, numel)")
        }
        return .storage(StorageReference(key: key, type: type, count: count))
    }

    /// Checks that every element a tensor view can touch lies inside its storage (checked arithmetic).
    static func validate(_ tensor: TensorReference) throws(CheckpointError) {
        let name = "in storage '\(tensor.storage.key)'"
        guard tensor.shape.count == tensor.stride.count, tensor.shape.count <= PickleLimits.maxTensorRank else {
            throw .badCall("tensor size and stride disagree \(name)")
        }
        guard tensor.offset >= 0, tensor.shape.allSatisfy({ $0 >= 0 }), tensor.stride.allSatisfy({ $0 >= 0 }) else {
            throw .badCall("negative tensor offset, size or stride \(name)")
        }
        if tensor.shape.contains(0) { return }
        // A view may not have more elements than its storage: that is only possible with overlapping strides
        // (expand), which no state dict holds, and it would let a few bytes demand a huge gather.
        var elements = 1
        for size in tensor.shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: size)
            guard !overflow else { throw .sizeOverflow(tensor: tensor.storage.key) }
            elements = product
        }
        guard elements <= tensor.storage.count else {
            throw .badCall("tensor view of \(elements) elements over \(tensor.storage.count) \(name) (overlapping strides are refused)")
        }
        var last = tensor.offset
        for (size, stride) in zip(tensor.shape, tensor.stride) {
            let (span, overflow1) = (size - 1).multipliedReportingOverflow(by: stride)
            let (sum, overflow2) = last.addingReportingOverflow(span)
            guard !overflow1, !overflow2 else { throw .sizeOverflow(tensor: tensor.storage.key) }
            last = sum
        }
        guard last < tensor.storage.count else {
            throw .storageOutOfBounds(key: tensor.storage.key, needed: last + 1, available: tensor.storage.count)
        }
    }
}
