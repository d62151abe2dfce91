/// Names close to a mistyped one, for "did you mean" hints.
public enum Suggestions {
    /// Up to three names closest to `name` by edit distance (substring matches first).
    public static func closest(to name: String, in names: [String]) -> [String] {
        let scored = names.map { candidate -> (String, Int) in
            let distance = levenshtein(name.lowercased(), candidate.lowercased())
            return (candidate, candidate.contains(name) || name.contains(candidate) ? min(distance, 1) : distance)
        }
        let limit = max(3, name.count / 2)
        return scored.filter { $0.1 <= limit }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(3).map(\.0)
    }

    public static func levenshtein(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
