import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Folders SkelZoo writes into (work dirs, report folders, the cache).
public enum Folder {
    /// `mkdir -p` with an error that says which folder and why.
    public static func create(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw IOError("\(url.path) is a file, not a folder", hint: "choose another path (a folder to write into)")
            }
            guard access(url.path, W_OK) == 0 else {
                throw IOError("cannot write into \(url.path): \(String(cString: strerror(errno)))", hint: "choose a writable folder")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw IOError("cannot create folder \(url.path): \(reason(creating: url, error))", hint: "choose a writable path")
        }
    }

    /// Why `mkdir -p url` fails, in plain words: the first existing ancestor is a file, or not writable.
    static func reason(creating url: URL, _ error: any Error) -> String {
        var ancestor = url.deletingLastPathComponent()
        while ancestor.path != "/" && !FileManager.default.fileExists(atPath: ancestor.path) { ancestor = ancestor.deletingLastPathComponent() }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: ancestor.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            return "\(ancestor.path) is a file, not a folder"
        }
        return access(ancestor.path, W_OK) == 0 ? (error as NSError).localizedDescription : "\(ancestor.path) is not writable (\(String(cString: strerror(errno))))"
    }
}

/// Files a user names on the command line (checkpoints, annotation files): a folder or a missing file is an error
/// that says so, before a reader turns it into a raw Foundation error with the wrong hint.
public enum InputFile {
    /// - Throws: ``IOError`` when `url` is missing, a folder, or not a regular file.
    public static func requireRegularFile(_ url: URL, role: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw IOError("\(role) \(url.path) does not exist", hint: "check the path", code: ENOENT)
        }
        guard !isDirectory.boolValue else {
            throw IOError("\(role) \(url.path) is a folder, expected a file", hint: "name the file inside it", code: EISDIR)
        }
    }
}
