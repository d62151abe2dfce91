import ZooConfig

/// What a run does: evaluate a released checkpoint, or retrain from scratch. Stored as the run's `mode` column.
public enum RunMode: String, Sendable, Codable, CaseIterable {
    case eval, train

    /// `auto`: evaluate where the zoo gives a checkpoint, retrain otherwise.
    public static func auto(for entry: ZooEntry) -> RunMode {
        entry.weightsURL != nil ? .eval : .train
    }
}

/// A mode as the user asks for it: one of ``RunMode``, or `auto` (decided per entry).
public enum ModeChoice: String, Sendable, CaseIterable {
    case eval, train, auto

    public func resolve(for entry: ZooEntry) -> RunMode {
        switch self {
        case .eval: .eval
        case .train: .train
        case .auto: .auto(for: entry)
        }
    }
}
