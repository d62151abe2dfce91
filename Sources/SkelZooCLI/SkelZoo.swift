import ArgumentParser
import Foundation
import ZooHarness

@main
struct SkelZoo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skelzoo",
        abstract: "Reproduce published skeleton action recognition results (ST-GCN from MMAction2's model zoo).",
        discussion: """
        The zoo lists each model with its config, checkpoint and published scores. The registry of
        checkpoints and runs lives in $SKELZOO_HOME (default ~/.cache/skelzoo).

        Examples:
          skelzoo list
          skelzoo show stgcn_80e_ntu60_xsub_keypoint
          skelzoo test stgcn_80e_ntu60_xsub_keypoint model.pth --ann-file ntu60_xsub_val.pkl
        """,
        version: CodeVersion.release,
        subcommands: [List.self, Show.self, Train.self, Test.self, Bench.self, DataCommand.self, Reproduce.self, RunTask.self, Collect.self, Report.self, Download.self, Verify.self]
    )
}

/// Options every subcommand shares.
struct GlobalOptions: ParsableArguments {
    @Option(help: ArgumentHelp("SkelZoo home: registry, checkpoint and data cache.", discussion: "Default: $SKELZOO_HOME, else ${XDG_CACHE_HOME:-~/.cache}/skelzoo.", valueName: "dir"))
    var home: String?

    @Option(help: ArgumentHelp("A zoo YAML file or folder that adds to or replaces (by file name) the built-in zoo. Repeatable.", valueName: "path"))
    var zoo: [String] = []

    @Option(help: ArgumentHelp("GEMM kernels: auto, scalar, avx2, avx512 or neon (default $SKELZOO_ISA, else auto).",
                               discussion: "Every ISA gives the same bits; it changes only the speed. An ISA this CPU lacks is an error.",
                               valueName: "isa"))
    var isa: String?

    @Option(help: ArgumentHelp("Arithmetic: portable or openblas (default $SKELZOO_BACKEND, else portable).",
                               discussion: """
                               portable: SkelZoo's own fixed-order kernels, the same bits on every CPU. openblas: OpenBLAS's \
                               sgemm, whose bits depend on the CPU's OpenBLAS kernel; its runs compare bit for bit only with \
                               references made on the same OpenBLAS core.
                               """,
                               valueName: "name"))
    var backend: String?

    /// Selects the arithmetic from --backend/--isa, else SKELZOO_BACKEND/SKELZOO_ISA.
    func applyArithmetic() throws {
        try ArithmeticChoice.apply(backend: backend, isa: isa)
    }

    /// The home folder in effect.
    var homeURL: URL { ZooContext.home(given: home) }

    /// The zoo (built-in plus --zoo) and the registry under the home folder.
    func context() throws -> ZooContext {
        try ZooContext(home: homeURL, overrides: zoo.map { URL(fileURLWithPath: $0) })
    }
}

/// `--threads`, shared by the commands that compute.
struct ThreadsOption: ParsableArguments {
    @Option(help: "Worker threads (results do not depend on it).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }
}

/// `--data-root`, shared by the commands that read a config's annotation files.
struct DataRootOption: ParsableArguments {
    @Option(help: "Folder the configs' ann_file paths are relative to (default: the SkelZoo home).")
    var dataRoot: String?

    /// The data root in effect: --data-root, else the home folder.
    func url(_ global: GlobalOptions) -> URL {
        dataRoot.map { URL(fileURLWithPath: $0) } ?? global.homeURL
    }
}
