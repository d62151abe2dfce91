// Reading MMAction2 PoseDataset annotation pickles with the safe reader (no code runs):
//   0.x: a list of dicts, one per sample;
//   1.x: {'split': {name: [frame_dir, ...]}, 'annotations': [dict, ...]}, filtered by a split name.
// Per-sample keys used: frame_dir (str), label (int), total_frames (int), keypoint (M, T, V, C) ndarray,
// optional keypoint_score (M, T, V) ndarray. numpy arrays may be written by numpy 1.x (numpy.core) or 2.x
// (numpy._core), in protocol 2 (bytes as _codecs.encode) or 4.
import Foundation
import ZooTorch

public enum AnnotationFile {
    public enum Format: String, Sendable { case v0x = "0.x", v1x = "1.x" }

    /// The split names of a 1.x file (empty for 0.x).
    public static func splits(of url: URL) throws -> [String] {
        guard case .dict(let dict) = try unpickle(read(url), file: url.path), let split = dict["split"]?.dictionary else { return [] }
        return split.keys
    }

    /// Loads every sample (0.x) or the samples of `split` (1.x; required there).
    /// - Throws: ``AnnotationError`` naming the file, the sample index and field, and what was expected.
    public static func load(_ url: URL, split: String? = nil) throws -> (format: Format, samples: [PoseSample]) {
        try load(bytes: read(url), file: url.path, split: split)
    }

    /// Loads the annotation pickle `bytes`, read from `file` (named in errors); see ``load(_:split:)``.
    public static func load(bytes: [UInt8], file: String, split: String? = nil) throws -> (format: Format, samples: [PoseSample]) {
        let root = try unpickle(bytes, file: file)
        var records: [PickleValue]
        var format = Format.v0x
        switch root {
        case .list(let list):
            records = list.items
            if let split { throw AnnotationError(file: file, "split '\(split)' requested, but this is a 0.x file (a list of samples, no splits)") }
        case .dict(let dict):
            format = .v1x
            guard let annotations = dict["annotations"]?.items else {
                throw AnnotationError(file: file, "expected a list of samples (0.x) or a dict with 'split' and 'annotations' (1.x)")
            }
            guard let splits = dict["split"]?.dictionary else { throw AnnotationError(file: file, "1.x file without a 'split' dict") }
            guard let split else {
                throw AnnotationError(file: file, "1.x file: choose a split with --split (one of: \(splits.keys.joined(separator: ", ")))")
            }
            guard let members = splits[split]?.items else {
                throw AnnotationError(file: file, "no split '\(split)' (the file has: \(splits.keys.joined(separator: ", ")))")
            }
            let wanted = Set(members.compactMap(\.string))
            records = annotations.filter { record in
                guard let dict = record.dictionary else { return true }  // reported below
                return wanted.contains(dict["frame_dir"]?.string ?? dict["filename"]?.string ?? "")
            }
        default:
            throw AnnotationError(file: file, "expected a list of samples (0.x) or a dict with 'split' and 'annotations' (1.x), found a \(root.kind)")
        }
        var samples: [PoseSample] = []
        samples.reserveCapacity(records.count)
        for (index, record) in records.enumerated() {
            samples.append(try sample(record, index: index, file: file))
        }
        return (format, samples)
    }

    static func read(_ url: URL) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw AnnotationError(file: url.path, "no such file (expected an annotation pickle)")
        }
        guard !isDirectory.boolValue else { throw AnnotationError(file: url.path, "is a folder, expected an annotation pickle file") }
        do { return [UInt8](try Data(contentsOf: url, options: .mappedIfSafe)) } catch {
            throw AnnotationError(file: url.path, "cannot read: \((error as NSError).localizedDescription)")
        }
    }

    static func unpickle(_ bytes: [UInt8], file: String) throws -> PickleValue {
        do {
            return try Unpickler.load(bytes)
        } catch {
            throw AnnotationError(file: file, "not a readable annotation pickle: \(error)")
        }
    }

    static func sample(_ record: PickleValue, index: Int, file: String) throws -> PoseSample {
        func fail(_ message: String) -> AnnotationError { AnnotationError(file: file, "sample \(index): \(message)") }
        guard let dict = record.dictionary else { throw fail("expected a dict, found a \(record.kind)") }
        let name = dict["frame_dir"]?.string ?? dict["filename"]?.string ?? "sample\(index)"
        guard let label = dict["label"]?.int else { throw fail("'label' must be an int, found \(dict["label"]?.kind ?? "nothing")") }
        guard label >= 0 else { throw fail("'label' must be >= 0, found \(label)") }
        guard let keypointValue = dict["keypoint"] else { throw fail("missing 'keypoint'") }
        let (keypoint, shape) = try array(keypointValue, field: "keypoint", fail: fail)
        guard shape.count == 4, shape[0] >= 1, shape[1] >= 1, shape[2] >= 1, shape[3] >= 1 else {
            throw fail("'keypoint' must have shape (M, T, V, C) with every size >= 1, found \(shape)")
        }
        guard let total = dict["total_frames"]?.int else { throw fail("'total_frames' must be an int, found \(dict["total_frames"]?.kind ?? "nothing")") }
        guard total >= 1, total <= shape[1] else {
            throw fail("'total_frames' is \(total) but 'keypoint' holds \(shape[1]) frames")
        }
        var score: [Float]?
        if let scoreValue = dict["keypoint_score"] {
            let (values, scoreShape) = try array(scoreValue, field: "keypoint_score", fail: fail)
            guard scoreShape == Array(shape.prefix(3)) else {
                throw fail("'keypoint_score' must have shape \(Array(shape.prefix(3))) (M, T, V of 'keypoint'), found \(scoreShape)")
            }
            // A NaN score reaches the model as an input channel just like a NaN coordinate.
            guard values.allSatisfy({ $0.isFinite }) else { throw fail("'keypoint_score' holds NaN or infinite values") }
            score = values
        }
        guard keypoint.allSatisfy({ $0.isFinite }) else { throw fail("'keypoint' holds NaN or infinite values (or values beyond float32)") }
        var imageShape: [Int]?
        switch dict["img_shape"] {
        case nil, .some(.none): break
        case .some(let value):
            guard let items = value.items, items.count == 2, let height = items[0].int, let width = items[1].int, height > 0, width > 0 else {
                throw fail("'img_shape' must be (height, width), two positive ints, found \(value.kind)")
            }
            imageShape = [height, width]
        }
        return PoseSample(frameDirectory: name, label: label, totalFrames: total, keypoint: keypoint, keypointShape: shape, keypointScore: score,
                          imageShape: imageShape)
    }

    static func array(_ value: PickleValue, field: String, fail: (String) -> AnnotationError) throws -> ([Float], [Int]) {
        guard case .numpy(let object) = value, let array = object.array else {
            throw fail("'\(field)' must be a numpy array, found a \(value.kind)")
        }
        guard array.type.isFloatingPoint else { throw fail("'\(field)' must be a float array, found \(array.type.rawValue)") }
        let count = array.shape.reduce(1, *)
        var values = array.data.withUnsafeBytes { NumericDecoding.floats($0, type: array.type, count: count, bigEndian: array.bigEndian) }
        if array.fortranOrder && array.shape.count > 1 {
            values = fortranToC(values, shape: array.shape)
        }
        return (values, array.shape)
    }

    static func fortranToC(_ values: [Float], shape: [Int]) -> [Float] {
        var result = [Float](repeating: 0, count: values.count)
        var index = [Int](repeating: 0, count: shape.count)
        for i in 0..<values.count {
            var fortran = 0, stride = 1
            for d in 0..<shape.count { fortran += index[d] * stride; stride *= shape[d] }
            result[i] = values[fortran]
            var d = shape.count - 1
            while d >= 0 { index[d] += 1; if index[d] < shape[d] { break }; index[d] = 0; d -= 1 }
        }
        return result
    }
}
