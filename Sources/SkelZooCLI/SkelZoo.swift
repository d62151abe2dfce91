import ArgumentParser
import Foundation
import ZooTensor

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
        version: "0.1.0",
        subcommands: [List.self, Show.self, Train.self, Test.self, Bench.self, DataCommand.self, Reproduce.self, RunTask.self, Collect.self, Report.self, Download.self, Verify.self]
    )

    static func main() {
        #if os(Linux)
        // Buffers of 1 MiB and more are mapped on allocation and returned to the system when freed, at a fixed
        // threshold: glibc's default raises it up to 32 MiB as buffers are freed, and training's per-phase scratch
        // (a few MiB, on several threads' arenas) then stays resident (T=300 batch 16 training: about 77 MiB of peak RSS).
        _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD, <malloc.h> */, 1 << 20)
        #endif
        main(nil)
    }
}

#if os(Linux)
/// glibc's `mallopt` (declared in <malloc.h>, which the Glibc module does not export).
@_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

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
        let environment = ProcessInfo.processInfo.environment
        try Arithmetic.select(backend: backend ?? environment["SKELZOO_BACKEND"], isa: isa ?? environment["SKELZOO_ISA"])
    }

    /// The home folder in effect.
    var homeURL: URL {
        if let home { return URL(fileURLWithPath: home) }
        let environment = ProcessInfo.processInfo.environment
        if let home = environment["SKELZOO_HOME"], !home.isEmpty { return URL(fileURLWithPath: home) }
        if let cache = environment["XDG_CACHE_HOME"], !cache.isEmpty { return URL(fileURLWithPath: cache).appending(path: "skelzoo") }
        return FileManager.default.homeDirectoryForCurrentUser.appending(path: ".cache/skelzoo")
    }
}
