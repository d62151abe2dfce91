import Foundation
import Testing
import ZooTestSupport

/// `--help` of the root and every subcommand, snapshotted (Golden/help/<command>.txt), so a change to any option, default
/// or text shows up in review. Regenerate with `SKELZOO_UPDATE_GOLDEN=1 swift test --filter HelpTests`.
@Suite struct HelpTests {
    /// Every command path; a new subcommand must be added here (``everySubcommandIsListed`` checks the root's list).
    static let commands: [[String]] = [
        [], ["list"], ["show"], ["config"], ["config", "export"], ["train"], ["test"], ["fuse"], ["bench"], ["data"], ["data", "synth"],
        ["reproduce"], ["run-task"], ["collect"], ["report"], ["download"], ["verify"],
    ]

    /// Help wraps at the terminal width: fixed here so the snapshot does not depend on the terminal the tests ran in.
    static let environment = ["COLUMNS": "100"]

    @Test(arguments: commands) func helpMatchesItsSnapshot(_ command: [String]) throws {
        let result = try Fixtures.runSkelzoo(command + ["--help"], environment: Self.environment)
        #expect(result.status == 0, "\(result.stderr)")
        let name = command.isEmpty ? "skelzoo" : command.joined(separator: "-")
        #expect(try Golden.matches(Self.machineIndependent(result.stdout), "help/\(name).txt"), "skelzoo \(command.joined(separator: " ")) --help changed")
    }

    /// `--threads` defaults to this machine's core count; the snapshot says `<cores>` instead (on the option's line or
    /// the line it wraps onto).
    static func machineIndependent(_ help: String) -> String {
        let cores = "(default: \(ProcessInfo.processInfo.activeProcessorCount))"
        var lines = help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for index in lines.indices where lines[index].hasPrefix("  --threads <threads>") {
            for line in index..<min(index + 2, lines.count) {
                lines[line] = lines[line].replacingOccurrences(of: cores, with: "(default: <cores>)")
            }
        }
        return lines.joined(separator: "\n")
    }

    @Test func everySubcommandIsListed() throws {
        let root = try Fixtures.runSkelzoo(["--help"], environment: Self.environment).stdout
        let section = try #require(root.components(separatedBy: "SUBCOMMANDS:").last)
        let listed = section.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let word = trimmed.split(separator: " ").first, !trimmed.hasPrefix("See ") else { return nil }
            return String(word)
        }
        #expect(Set(listed).isSubset(of: Set(Self.commands.compactMap(\.first))), "\(listed)")
        #expect(!listed.isEmpty)
    }

    @Test(arguments: ["", "list", "show"]) func everyCommandHasHelpWithAnExample(_ command: String) throws {
        let result = try Fixtures.runSkelzoo((command.isEmpty ? [] : [command]) + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Examples:"))
    }
}
