// Dataset fingerprints: what a run trained and was scored on, so that "1% from a data mistake" is visible in its record.
//
// For each split (train, val, test) a run records the annotation file's sha256 and a fingerprint of the split itself:
// SHA-256 over its (frame_dir, label) pairs sorted by frame_dir's UTF-8 bytes (then label), each pair written as the frame_dir in
// UTF-8, one 0x00 byte, the label in decimal ASCII and one 0x0A byte. The fingerprint ignores the keypoints and the
// order of the file, so two files holding the same samples with the same labels agree, and one changed label changes it.
import Crypto
import Foundation
import ZooConfig
import ZooIO
import ZooPose

/// One split of a run's data.
public struct SplitFingerprint: Sendable, Equatable, Codable {
    /// `train`, `val` or `test`.
    public var split: String
    /// The annotation file's path as the run read it.
    public var file: String
    public var fileSHA256: String
    /// SHA-256 of the sorted (frame_dir, label) list (see the file comment).
    public var fingerprint: String
    public var samples: Int
    /// Distinct labels in the split.
    public var classes: Int

    enum CodingKeys: String, CodingKey {
        case split, file, samples, classes, fingerprint
        case fileSHA256 = "file_sha256"
    }

    public init(split: String, file: String, fileSHA256: String, fingerprint: String, samples: Int, classes: Int) {
        self.split = split
        self.file = file
        self.fileSHA256 = fileSHA256
        self.fingerprint = fingerprint
        self.samples = samples
        self.classes = classes
    }
}

public enum DatasetFingerprint {
    /// The fingerprint of `samples`: SHA-256 over the sorted (frame_dir, label) pairs.
    public static func fingerprint(_ samples: [PoseSample]) -> String {
        let pairs: [(frameDirectory: String, label: Int)] = samples.map { ($0.frameDirectory, $0.label) }
        // Byte order of the UTF-8 (not Swift's Unicode-aware String order), so any language can recompute it.
        let sorted = pairs.sorted { a, b in
            a.frameDirectory.utf8.elementsEqual(b.frameDirectory.utf8) ? a.label < b.label
                : a.frameDirectory.utf8.lexicographicallyPrecedes(b.frameDirectory.utf8)
        }
        var hasher = SHA256()
        for pair in sorted {
            var bytes: [UInt8] = Array(pair.frameDirectory.utf8)
            bytes.append(0)
            bytes.append(contentsOf: Array(String(pair.label).utf8))
            bytes.append(0x0A)
            hasher.update(data: bytes)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// One split's record; `fileSHA256` may be given when the file was already hashed (val and test are often one file).
    /// - Throws: ``RunnerError`` when the file cannot be read.
    public static func split(_ name: String, file: URL, samples: [PoseSample], fileSHA256: String? = nil) throws -> SplitFingerprint {
        SplitFingerprint(split: name, file: file.path, fileSHA256: try fileSHA256 ?? Hashing.sha256(of: file), fingerprint: fingerprint(samples),
                         samples: samples.count, classes: Set(samples.map(\.label)).count)
    }

    /// The train, val and test splits of a run, hashing each distinct file once.
    public static func splits(_ files: [(split: String, file: URL, samples: [PoseSample])]) throws -> [SplitFingerprint] {
        var hashes: [String: String] = [:]
        var result: [SplitFingerprint] = []
        for (name, file, samples) in files {
            let hash = try hashes[file.path] ?? Hashing.sha256(of: file)
            hashes[file.path] = hash
            result.append(try split(name, file: file, samples: samples, fileSHA256: hash))
        }
        return result
    }

    /// What a reader of the record should know: validation and test being one split (as in every 0.x ST-GCN config),
    /// and training samples that are also scored.
    public static func warnings(_ splits: [SplitFingerprint]) -> [String] {
        var warnings: [String] = []
        if let val = splits.first(where: { $0.split == "val" }), let test = splits.first(where: { $0.split == "test" }), val.fingerprint == test.fingerprint {
            warnings.append("validation and test are the same split (\(val.samples) samples, fingerprint \(val.fingerprint.prefix(12))): the score is a validation score")
        }
        if let train = splits.first(where: { $0.split == "train" }), let val = splits.first(where: { $0.split == "val" }), train.fingerprint == val.fingerprint {
            warnings.append("training and validation are the same split (fingerprint \(train.fingerprint.prefix(12)))")
        }
        return warnings
    }
}

extension DatasetFingerprint {
    /// The train, val and test splits of a training run whose train and val samples are loaded; the test split is the
    /// val samples when the config reads the same file, else the config's test file (skipped when it is not there:
    /// a retrain scores on val).
    /// - Throws: ``RunnerError`` when a file cannot be read.
    public static func trainingSplits(config: ExperimentConfig, resolver: DataResolver, files: (train: URL, val: URL),
                                      train: [PoseSample], val: [PoseSample]) throws -> [SplitFingerprint] {
        var inputs: [(split: String, file: URL, samples: [PoseSample])] = [("train", files.train, train), ("val", files.val, val)]
        let test = resolver.url(config.data.test.annFile)
        if test.path == files.val.path {
            inputs.append(("test", files.val, val))
        } else if FileManager.default.fileExists(atPath: test.path) {
            let samples: [PoseSample]
            do { samples = try AnnotationFile.load(test).samples } catch { throw RunnerError("\(test.path): \(error)") }
            inputs.append(("test", test, samples))
        }
        return try splits(inputs)
    }
}
