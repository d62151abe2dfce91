import Foundation

/// `git describe` of the source tree when available, else the release version.
public enum CodeVersion {
    /// The release version, also `skelzoo --version`.
    public static let release = "0.1.0"

    public static var current: String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["-C", URL(fileURLWithPath: #filePath).deletingLastPathComponent().path, "describe", "--always", "--dirty", "--tags"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        if (try? process.run()) != nil {
            process.waitUntilExit()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if process.terminationStatus == 0 && !text.isEmpty { return text }
        }
        return release
    }
}
