import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The POSIX calls SkelZoo makes directly, checked: `EINTR` retried, a failure an ``IOError`` naming the path and `errno`.
public enum POSIX {
    /// The system's text for `errno` (or `code`).
    public static func reason(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    /// Writes all of `bytes` to `fd`, retrying after `EINTR` and short writes.
    /// - Throws: ``IOError`` with `errno` when a write fails (a full disk, a closed pipe); `what` names the destination.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, to what: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                let code = errno
                if code == EINTR { continue }
                throw IOError("cannot write \(what): \(reason(code))", code: code)
            }
            // Nothing written and no error: never loop on it.
            guard written > 0 else { throw IOError("cannot write \(what): the write made no progress", code: EIO) }
            offset += written
        }
    }

    /// fsyncs the folder so that a rename in it survives a crash; a failure only weakens durability and is not an error.
    public static func syncDirectory(_ url: URL) {
        let fd = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// Removes a file; one that is not there is fine.
    /// - Throws: ``IOError`` for any other failure.
    public static func unlinkIfPresent(_ path: String) throws {
        guard unlink(path) != 0 else { return }
        let code = errno
        guard code == ENOENT else { throw IOError("cannot remove \(path): \(reason(code))", code: code) }
    }
}
