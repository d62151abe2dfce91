import Foundation

/// Paths shared by the test targets: the repository root and `../shared/fixtures` beside it.
public enum Fixtures {
    /// The repository root (this file is Tests/ZooTestSupport/Fixtures.swift).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/fixtures`, files made by the real PyTorch/MMAction2 code (read-only, never copied).
    public static let root: URL = repositoryRoot.deletingLastPathComponent().appending(path: "shared/fixtures")

    public static func url(_ relative: String) -> URL { root.appending(path: relative) }

    /// The debug `skelzoo` binary built by `swift test`.
    public static var skelzooBinary: URL { repositoryRoot.appending(path: ".build/debug/skelzoo") }

    /// A fresh empty temporary folder.
    public static func temporaryDirectory(_ label: String = "skelzoo-test") -> URL {
        let url = FileManager.default.temporaryDirectory.appending(path: "\(label)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs `skelzoo` with arguments and environment additions; returns exit status, stdout and stderr.
    public static func runSkelzoo(_ arguments: [String], environment: [String: String] = [:], currentDirectory: URL? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        try run(skelzooBinary, arguments, environment: environment, currentDirectory: currentDirectory)
    }

    /// Runs `executable` with arguments and environment additions to the end; returns exit status, stdout and stderr.
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], currentDirectory: URL? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}
