import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writing files so that a crash or a full disk never leaves a half-written file where a whole one was:
/// write a temporary file beside the target, fsync it, rename it over the target, fsync the folder.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        try Folder.create(directory)
        let temporary = directory.appending(path: ".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunnerError("cannot create \(temporary.path): \(String(cString: strerror(errno)))") }
        var failure: String?
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                offset += written
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if let failure {
            unlink(temporary.path)
            throw RunnerError("cannot write \(url.path): \(failure)", hint: "check free disk space; the previous file is unchanged")
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw RunnerError("cannot move \(temporary.path) to \(url.path): \(reason)")
        }
        let directoryFD = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }
}

public enum Hashing {
    /// Lowercase hex sha256 of a file, streamed.
    public static func sha256(of url: URL) throws -> String {
        try InputFile.requireRegularFile(url, role: "file")
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw RunnerError("cannot read \(url.path): \((error as NSError).localizedDescription)")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        } catch {
            throw RunnerError("cannot read \(url.path): \((error as NSError).localizedDescription)")
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    public static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
