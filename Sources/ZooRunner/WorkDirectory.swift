// A run's work dir: created with an error that names it, and locked (flock) for the run's lifetime so that two
// processes never write one work dir at once. The kernel drops the lock when a process dies, so a killed run never
// blocks the next one; the lock file stays (it is empty of meaning once unlocked).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive hold on a work dir; released by ``release()`` or when the process exits.
public final class WorkDirectory {
    public static let lockName = ".skelzoo.lock"

    public let url: URL
    private var descriptor: Int32

    /// Creates `url` if needed and takes its lock without waiting.
    /// - Throws: ``RunnerError`` naming the folder when it cannot be created (read-only, a file in the way) or
    ///   when another process holds it.
    public init(_ url: URL) throws {
        self.url = url
        try Folder.create(url)
        let lockPath = url.appending(path: Self.lockName).path
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw RunnerError("cannot create \(lockPath): \(String(cString: strerror(errno)))", hint: "choose a writable --work-dir")
        }
        do { try Self.lock(fd, url: url) } catch {
            close(fd)
            throw error
        }
        descriptor = fd
        // Who holds it, for the message another process prints.
        let pid = Data("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 { _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } }
    }

    deinit { release() }

    /// Throws the error a run would get if another process holds `url` now; a work dir that does not exist yet is free.
    /// Lets a caller refuse before it records a run that would never start (the run itself still takes the lock).
    public static func checkAvailable(_ url: URL) throws {
        let lockPath = url.appending(path: lockName).path
        let fd = open(lockPath, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return }
            throw RunnerError("cannot open \(lockPath): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        try lock(fd, url: url)
        flock(fd, LOCK_UN)
    }

    /// Takes the lock on `fd` without waiting, or throws naming the process that holds it.
    static func lock(_ fd: Int32, url: URL) throws {
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let reason = errno
            guard reason == EWOULDBLOCK else {
                throw RunnerError("cannot lock \(url.appending(path: lockName).path): \(String(cString: strerror(reason)))")
            }
            throw RunnerError("work dir \(url.path) is in use by another skelzoo process\(holder(fd).map { " (pid \($0))" } ?? "")",
                              hint: "wait for that run to finish, or choose another --work-dir")
        }
    }

    public func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    /// Removes everything in the work dir but the lock (a fresh start, as `reproduce` wants), while holding the lock.
    public func clear() throws {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: url.path) } catch {
            throw RunnerError("cannot list work dir \(url.path): \((error as NSError).localizedDescription)")
        }
        for name in names where name != Self.lockName {
            do { try FileManager.default.removeItem(at: url.appending(path: name)) } catch {
                throw RunnerError("cannot clear \(url.appending(path: name).path) from the work dir: \((error as NSError).localizedDescription)")
            }
        }
    }

    static func holder(_ fd: Int32) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return Int(String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
