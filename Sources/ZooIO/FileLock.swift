// An advisory `flock` on a lock file. The kernel drops it when the process dies, so a killed process never leaves a
// lock that blocks the next one; the lock file stays (it is empty of meaning once unlocked).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` held until ``release()`` or deinit. The registry and the downloader wait for it; a work dir
/// takes it without waiting, so a second run is refused instead of queued.
public final class FileLock {
    public let path: String
    /// The lock file's descriptor (open read-write), e.g. to note the holder's pid in it; -1 once released.
    public private(set) var descriptor: Int32

    /// Opens `path` (creating it when `create`) and takes the lock.
    /// - Parameter wait: wait for another holder; otherwise throw at once.
    /// - Throws: ``IOError`` with the failing call's `errno`: `EWOULDBLOCK` when another process holds it and `wait` is
    ///   false; `ENOENT`/`ENOTDIR` when `create` is false and there is no lock file.
    public init(path: String, create: Bool = true, wait: Bool = true) throws {
        self.path = path
        let fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0o644)
        guard fd >= 0 else {
            let code = errno
            throw IOError("cannot \(create ? "create" : "open") lock file \(path): \(POSIX.reason(code))", code: code)
        }
        while flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0 {
            let code = errno
            if code == EINTR { continue }
            close(fd)
            throw IOError(code == EWOULDBLOCK ? "\(path) is locked by another process" : "cannot lock \(path): \(POSIX.reason(code))", code: code)
        }
        descriptor = fd
    }

    deinit { release() }

    public func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    /// Runs `body` while holding the lock at `path` (waiting for it).
    public static func withLock<T>(at path: String, _ body: () throws -> T) throws -> T {
        let lock = try FileLock(path: path)
        defer { lock.release() }
        return try body()
    }
}
