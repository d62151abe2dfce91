import ZooConfig

/// What a run does: evaluate a released checkpoint, or retrain from scratch. Stored as the run's `mode` column.
public enum RunMode: String, Sendable, Codable, CaseIterable {
    case eval, train

    /// Decodes the mode's text (`"eval"`, `"train"`, as plans and results have always written it); any other text is an
    /// error that names the value and the modes, at the field's coding path.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let mode = RunMode(rawValue: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)', expected train or eval")
        }
        self = mode
    }

    /// `auto`: evaluate where the zoo gives a checkpoint (or fuses its streams' results), retrain otherwise.
    public static func auto(for entry: ZooEntry) -> RunMode {
        entry.weightsURL != nil || entry.fusion != nil ? .eval : .train
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
