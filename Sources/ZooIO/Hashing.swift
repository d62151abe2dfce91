import Crypto
import Foundation

/// SHA-256 as lowercase hex: of bytes, or of a file streamed in 1 MiB chunks.
public enum Hashing {
    /// Streams the file; a read error is an error, never the hash of what was read so far (a partial file).
    /// - Throws: ``IOError`` when `url` is missing, a folder, or cannot be read to its end.
    public static func sha256(of url: URL) throws -> String {
        try InputFile.requireRegularFile(url, role: "file")
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw IOError("cannot read \(url.path): \((error as NSError).localizedDescription)")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        } catch {
            throw IOError("cannot read \(url.path): \((error as NSError).localizedDescription)")
        }
        return hex(hasher.finalize())
    }

    public static func sha256(_ data: Data) -> String {
        hex(SHA256.hash(data: data))
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
