import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writing files so that a crash or a full disk never leaves a half-written file where a whole one was:
/// write a temporary file beside the target, fsync it, rename it over the target, fsync the folder.
public enum AtomicFile {
    /// - Throws: ``IOError`` naming the file (and the folder when it cannot be created); the previous file is unchanged.
    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        try Folder.create(directory)
        let temporary = directory.appending(path: ".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw IOError("cannot create \(temporary.path): \(POSIX.reason())", code: errno) }
        var failure: IOError?
        do {
            try data.withUnsafeBytes { try POSIX.writeAll(fd, $0, to: url.path) }
            if fsync(fd) != 0 { throw IOError("cannot write \(url.path): \(POSIX.reason())", code: errno) }
        } catch let error as IOError {
            failure = error
        }
        close(fd)
        if var failure {
            unlink(temporary.path)
            failure.hint = "check free disk space; the previous file is unchanged"
            throw failure
        }
        try moveIntoPlace(temporary, to: url)
    }

    /// Renames a complete file (fsynced here) over `destination` and fsyncs the folder; the temporary is removed on failure.
    /// - Throws: ``IOError`` naming both paths.
    public static func moveIntoPlace(_ temporary: URL, to destination: URL) throws {
        let fd = open(temporary.path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
        guard rename(temporary.path, destination.path) == 0 else {
            let code = errno
            unlink(temporary.path)
            throw IOError("cannot move \(temporary.path) to \(destination.path): \(POSIX.reason(code))", code: code)
        }
        POSIX.syncDirectory(destination.deletingLastPathComponent())
    }
}
