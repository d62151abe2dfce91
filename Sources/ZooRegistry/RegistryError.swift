import Foundation
import ZooIO

/// A registry failure: which file, what went wrong and how to fix it.
public struct RegistryError: DiagnosedError, Sendable {
    public enum Code: String, Sendable {
        case homeNotWritable
        case notADatabase
        case newerSchema
        case unknownEntry
        case database
        /// The disk (or SQLite's page limit) is full; nothing of the failed transaction was written.
        case diskFull
        /// The database file was deleted or replaced by another file while this process had it open.
        case fileReplaced
    }

    public var code: Code
    /// What went wrong, naming the file.
    public var message: String
    /// What to do about it.
    public var hint: String?

    public init(_ code: Code, _ message: String, hint: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
    }

    public var description: String { message }
}
