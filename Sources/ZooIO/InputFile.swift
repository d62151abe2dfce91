import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
