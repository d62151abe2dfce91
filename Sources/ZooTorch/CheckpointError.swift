/// Why a `.pth` checkpoint or a pickle was refused. Loading never runs code: anything this reader does not
/// understand is an error, never skipped or substituted.
public enum CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file is neither a torch zip archive nor a legacy torch pickle.
    case notACheckpoint(String)
    /// The archive has no `*/data.pkl` entry.
    case missingPickle
    /// A zip structure is damaged or unsupported (compressed entries, bad offsets, ...).
    case badArchive(String)
    /// A pickle GLOBAL outside the allowlist, e.g. `("posix", "system")`.
    case disallowedGlobal(module: String, name: String)
    /// Something the reader needs (an allowed call's argument, the root object, a state_dict entry) is an object of a
    /// class outside the allowlist, which the reader keeps opaque and never runs.
    case opaqueObject(module: String, name: String, usedBy: String)
    /// An allowed callable called with arguments it does not accept.
    case badCall(String)
    /// An opcode this reader does not implement (rejected, never skipped).
    case unsupportedOpcode(UInt8, offset: Int)
    /// The pickle ended early or is structurally broken (stack underflow, missing MARK, ...).
    case malformedPickle(String, offset: Int)
    /// A container would contain itself (`l = []; l.append(l)`); no checkpoint or annotation file needs one.
    case cycle(offset: Int)
    /// A tensor's storage is missing from the archive.
    case missingStorage(key: String)
    /// Declared storage (numel * itemsize, checked) exceeds what the file holds.
    case storageOutOfBounds(key: String, needed: Int, available: Int)
    /// Size arithmetic overflowed while validating shapes/strides.
    case sizeOverflow(tensor: String)
    /// A resource limit was hit (pickle bytes, memo size, nesting depth, ...).
    case limitExceeded(String, limit: Int)

    public var description: String {
        switch self {
        case .notACheckpoint(let why): "not a torch checkpoint: \(why)"
        case .missingPickle: "the archive has no data.pkl entry"
        case .badArchive(let why): "damaged or unsupported zip archive: \(why)"
        case .disallowedGlobal(let module, let name): "pickle refers to \(module).\(name), which is not allowed in a checkpoint (nothing was executed)"
        case .opaqueObject(let module, let name, let usedBy):
            "\(usedBy) depends on a \(module).\(name) object, which is not allowed in what a model loads (kept opaque; nothing was executed)"
        case .badCall(let why): "unexpected call in pickle: \(why)"
        case .unsupportedOpcode(let opcode, let offset): "unsupported pickle opcode 0x\(String(opcode, radix: 16)) at byte \(offset)"
        case .malformedPickle(let why, let offset): "malformed pickle at byte \(offset): \(why)"
        case .cycle(let offset): "pickle builds a cycle at offset \(offset) (a container would contain itself)"
        case .missingStorage(let key): "tensor storage '\(key)' is missing"
        case .storageOutOfBounds(let key, let needed, let available): "tensor storage '\(key)' needs \(needed) bytes but the file holds \(available)"
        case .sizeOverflow(let tensor): "size arithmetic overflows for tensor \(tensor)"
        case .limitExceeded(let what, let limit): "\(what) exceeds the limit of \(limit)"
        }
    }
}
