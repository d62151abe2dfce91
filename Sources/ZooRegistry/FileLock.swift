import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An advisory `flock` on a lock file, held for the duration of a closure. The kernel drops it
/// when the process dies, so a killed process never leaves a lock that blocks forever.
enum FileLock {
    static func withLock<T>(at path: String, _ body: () throws -> T) throws -> T {
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw RegistryError(.homeNotWritable, "cannot create lock file \(path): \(String(cString: strerror(errno)))",
                                hint: "set SKELZOO_HOME or --home to a writable folder")
        }
        defer { Glibc.close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { break }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
