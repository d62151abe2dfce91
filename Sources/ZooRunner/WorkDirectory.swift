// A run's work dir: created with an error that names it, and locked (flock) for the run's lifetime so that two
// processes never write one work dir at once. The kernel drops the lock when a process dies, so a killed run never
// blocks the next one; the lock file stays (it is empty of meaning once unlocked).
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import ZooIO

/// An exclusive hold on a work dir; released by ``release()`` or when the process exits.
public final class WorkDirectory {
    public static let lockName = ".skelzoo.lock"

    public let url: URL
    private let lock: FileLock

    /// Creates `url` if needed and takes its lock without waiting.
    /// - Throws: ``RunnerError`` naming the folder when another process holds it, when the lock cannot be taken;
    ///   ``IOError`` when the folder cannot be created (read-only, a file in the way).
    public init(_ url: URL) throws {
        self.url = url
        try Folder.create(url)
        let lockPath = url.appending(path: Self.lockName).path
        do { lock = try FileLock(path: lockPath, wait: false) } catch let error as IOError {
            throw Self.explain(error, url: url, lockPath: lockPath, creating: true)
        }
        // Who holds it, for the message another process prints.
        let pid = Data("\(getpid())\n".utf8)
        if ftruncate(lock.descriptor, 0) == 0 { _ = pid.withUnsafeBytes { pwrite(lock.descriptor, $0.baseAddress, $0.count, 0) } }
    }

    /// Throws the error a run would get if another process holds `url` now; a work dir that does not exist yet is free.
    /// Lets a caller refuse before it records a run that would never start (the run itself still takes the lock).
    public static func checkAvailable(_ url: URL) throws {
        let lockPath = url.appending(path: lockName).path
        do {
            try FileLock(path: lockPath, create: false, wait: false).release()
        } catch let error as IOError {
            if error.code == ENOENT || error.code == ENOTDIR { return }
            throw explain(error, url: url, lockPath: lockPath, creating: false)
        }
    }

    /// The run-level error for a lock that could not be taken: in use (naming the holder's pid), or the call that failed.
    static func explain(_ error: IOError, url: URL, lockPath: String, creating: Bool) -> RunnerError {
        guard error.code == EWOULDBLOCK else { return RunnerError(error.message, hint: creating ? "choose a writable --work-dir" : nil) }
        return RunnerError("work dir \(url.path) is in use by another skelzoo process\(holder(lockPath).map { " (pid \($0))" } ?? "")",
                           hint: "wait for that run to finish, or choose another --work-dir")
    }

    public func release() { lock.release() }

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

    /// The pid noted in the lock file by its holder.
    static func holder(_ lockPath: String) -> Int? {
        guard let text = try? String(contentsOfFile: lockPath, encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
