import ArgumentParser
import Foundation
import ZooConfig
import ZooHarness
import ZooRegistry
import ZooRunner

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
        let bytes = Array((text + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw CLIError("cannot write to standard output: \(String(cString: strerror(errno)))",
                               hint: "check that the file or pipe stdout goes to is writable and its disk has space")
            }
            offset += written
        }
    }

    static func info(_ message: String) {
        diagnostic(message + "\n")
    }

    /// Writes to stderr. A failure there has nowhere to be reported, so it is dropped; the exit code still tells.
    /// (FileHandle's `write(_:)` traps on a full stderr, e.g. `2>/dev/full`.)
    static func diagnostic(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }

    /// Runs a subcommand body, turning every thrown error into the one-line message and exit code 1.
    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch let error as RegistryError {
            printError(error.message, hint: error.hint)
            throw ExitCode.failure
        } catch let error as ConfigError {
            printError(error.description)
            throw ExitCode.failure
        } catch let error as RunnerError {
            printError(error.message, hint: error.hint)
            throw ExitCode.failure
        } catch let error as HarnessError {
            printError(error.message, hint: error.hint)
            throw ExitCode.failure
        } catch let error as CLIError {
            printError(error.message, hint: error.hint)
            throw ExitCode.failure
        } catch {
            printError(describe(error))
            throw ExitCode.failure
        }
    }

    /// One line for an error: its own description, or for a Foundation error its localized text, never an NSError dump.
    static func describe(_ error: any Error) -> String {
        if let error = error as? CocoaError { return error.localizedDescription }
        if type(of: error) is NSError.Type { return (error as NSError).localizedDescription }
        return "\(error)"
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
struct CLIError: Error {
    var message: String
    var hint: String?
    init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}
