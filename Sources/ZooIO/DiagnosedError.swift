import Foundation

/// An error a user reads: what is wrong (naming the file, field or value), what to do about it, and what caused it.
/// Every SkelZoo error type conforms, so the CLI prints any of them the same way: `error: message`, `hint: hint`.
public protocol DiagnosedError: Error, CustomStringConvertible {
    /// One line: what failed, naming the file, field or value.
    var message: String { get }
    /// What to do about it, when there is something to say.
    var hint: String? { get }
    /// The underlying error, when there is one (a Foundation or POSIX error).
    var cause: (any Error)? { get }
}

extension DiagnosedError {
    public var cause: (any Error)? { nil }
    public var description: String { message }
}

/// A file-system or POSIX call that failed: which call on which path, and the system's reason.
public struct IOError: DiagnosedError, Sendable {
    public var message: String
    public var hint: String?
    /// `errno` of the failing call, when it was a POSIX call.
    public var code: Int32?

    public init(_ message: String, hint: String? = nil, code: Int32? = nil) {
        self.message = message
        self.hint = hint
        self.code = code
    }
}

/// One line for any error, never an NSError dump.
public enum ErrorText {
    /// A Foundation error's localized text, else the error's own description.
    public static func describe(_ error: any Error) -> String {
        if let error = error as? CocoaError { return error.localizedDescription }
        if type(of: error) is NSError.Type { return (error as NSError).localizedDescription }
        return "\(error)"
    }
}
