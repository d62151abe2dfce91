import Foundation

/// A progress line on stderr: redrawn in place on a TTY, a plain line every `plainEvery` seconds otherwise.
final class ProgressLine {
    let label: String
    let start = Date()
    var lastPlain = Date.distantPast
    var finished = false
    let plainEvery: TimeInterval

    init(_ label: String, plainEvery: TimeInterval = 30) {
        self.label = label
        self.plainEvery = plainEvery
    }

    func update(_ done: Int, _ total: Int, unit: String = "samples") {
        guard total > 0, !finished else { return }
        if done >= total { finished = true }
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let text = "\(label) \(done)/\(total) \(unit)  \(String(format: "%.2f", rate)) \(unit)/s  ETA \(Self.duration(eta))"
        if Console.isTTY {
            Console.diagnostic("\r\u{1B}[K\(text)")
            if done == total { Console.diagnostic("\n") }
        } else if Date().timeIntervalSince(lastPlain) >= plainEvery || done == total {
            lastPlain = Date()
            Console.diagnostic(text + "\n")
        }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" }
        if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s)s"
    }
}
