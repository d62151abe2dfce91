import Foundation

/// Where the harness says what it is doing: the CLI prints to stderr (progress lines, notes, errors it can only
/// report); tests collect the lines or drop them. The harness never writes to stdout or stderr itself.
public struct HarnessLog {
    /// A progress counter made for one task: `update(done, total, unit)`.
    public typealias Progress = (_ done: Int, _ total: Int, _ unit: String) -> Void

    /// A line of information (stderr in the CLI).
    public var info: (String) -> Void
    /// An error that the harness reports but does not throw (the caller's own error is what fails), with a hint.
    public var error: (_ message: String, _ hint: String?) -> Void
    /// A progress counter labelled `label`, redrawn at most every `plainEvery` seconds when not on a terminal.
    public var progress: (_ label: String, _ plainEvery: TimeInterval) -> Progress

    public init(info: @escaping (String) -> Void, error: @escaping (_ message: String, _ hint: String?) -> Void,
                progress: @escaping (_ label: String, _ plainEvery: TimeInterval) -> Progress) {
        self.info = info
        self.error = error
        self.progress = progress
    }

    /// Drops everything (tests).
    public static var silent: HarnessLog {
        HarnessLog(info: { _ in }, error: { _, _ in }, progress: { _, _ in { _, _, _ in } })
    }
}
