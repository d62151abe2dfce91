import ZooIO

/// A run that cannot proceed: what is wrong and what to do about it.
public struct RunnerError: DiagnosedError, Sendable {
    /// The kind of failure, for callers that treat one kind differently (``Code/dataMissing``, ``Code/stopped``).
    public enum Code: Sendable, Equatable {
        /// The annotation files are not there (and cannot be generated); `reproduce` records such an entry as skipped.
        case dataMissing
        /// Anything else: bad input, an I/O failure, a diverged run.
        case failed
        /// Stopped on request (a signal) at an iteration boundary, latest.pth written: resume to continue.
        case stopped
    }

    public var code: Code
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String? = nil, code: Code = .failed) {
        self.code = code
        self.message = message
        self.hint = hint
    }

    public var description: String { message }
}
