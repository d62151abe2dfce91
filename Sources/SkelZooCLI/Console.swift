import ArgumentParser
import Foundation
import ZooConfig
import ZooHarness
import ZooIO

/// Output helpers and the error policy of every subcommand: `error: ...` and `hint: ...` on stderr, exit 1.
enum Console {
    static func printError(_ message: String, hint: String? = nil) {
        var text = "error: \(message)\n"
        if let hint { text += "hint: \(hint)\n" }
        diagnostic(text)
    }

    /// Writes a line to stdout, unbuffered and checked: a full disk or a closed stdout (`> /dev/full`) is an error
    /// and a non-zero exit, never an empty file and exit 0.
    static func output(_ text: String) throws {
        do {
            try Array((text + "\n").utf8).withUnsafeBytes { try POSIX.writeAll(STDOUT_FILENO, $0, to: "standard output") }
        } catch let error as IOError {
            throw CLIError("cannot write to standard output: \(error.code.map { POSIX.reason($0) } ?? error.message)",
                           hint: "check that the file or pipe stdout goes to is writable and its disk has space")
        }
    }

    static func info(_ message: String) {
        diagnostic(message + "\n")
    }

    /// Writes to stderr. A failure there has nowhere to be reported, so it is dropped; the exit code still tells.
    /// (FileHandle's `write(_:)` traps on a full stderr, e.g. `2>/dev/full`.)
    static func diagnostic(_ text: String) {
        _ = try? Array(text.utf8).withUnsafeBytes { try POSIX.writeAll(STDERR_FILENO, $0, to: "standard error") }
    }

    /// Runs a subcommand body, turning every thrown error into the one-line message and exit code 1.
    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch let error as ConfigError {
            printError(error.description)
            throw ExitCode.failure
        } catch let error as any DiagnosedError {
            printError(error.message, hint: error.hint)
            throw ExitCode.failure
        } catch {
            printError(ErrorText.describe(error))
            throw ExitCode.failure
        }
    }


    /// The harness's log: information and progress on stderr, errors it can only report as `error:`/`hint:` lines.
    static var log: HarnessLog {
        HarnessLog(info: info, error: { printError($0, hint: $1) }, progress: { label, every in
            let line = ProgressLine(label, plainEvery: every)
            return { line.update($0, $1, unit: $2) }
        })
    }

    static var isTTY: Bool { isatty(STDERR_FILENO) == 1 }

    /// Pretty JSON with sorted keys, for `--json`.
    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// A CLI-level error with a hint.
struct CLIError: DiagnosedError {
    var message: String
    var hint: String?
    init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}
