import ZooIO

/// A plan, task, script or collect step that cannot proceed: what is wrong (naming the file and field) and what to do.
public struct HarnessError: DiagnosedError, Sendable {
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    public var description: String { message }
}
