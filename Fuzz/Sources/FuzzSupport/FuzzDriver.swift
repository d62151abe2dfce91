// The entry point shared by every fuzz target. SwiftPM links an executable's `main` as `<Target>_main`; each
// target defines that symbol and hands its callback here, with the libFuzzer limits that belong to the target, so
// running a fuzzer binary by hand fuzzes under the same bounds as `make fuzz`.
import Foundation

public enum FuzzDriver {
    /// libFuzzer's `LLVMFuzzerTestOneInput`: one input, returns 0.
    public typealias Callback = @convention(c) (UnsafePointer<UInt8>, Int) -> CInt

    /// Memory one run may hold, in MiB (`-rss_limit_mb`; `-malloc_limit_mb` follows it). A reader that needs more
    /// for an input of at most a few MB has an unbounded allocation.
    public static let rssLimitMB = 2048
    /// Seconds one input may take (`-timeout`); a hang or a quadratic path shows up here.
    public static let timeoutSeconds = 10
    /// `-max_len` for the binary formats: big enough for a whole small checkpoint or annotation file, small enough to
    /// mutate quickly. Larger fixture seeds are cut to this length (still valid prefixes).
    public static let maxInputBytes = 64 << 10

    /// Runs libFuzzer over `callback`. Flags the command line does not set are added: the limits above and the
    /// target's `extraDefaults` (e.g. `-dict=`). With `--write-seeds <fixtures> <corpus>` it calls `writeSeeds`
    /// instead, which fills the corpus folder from the fixtures, and exits.
    public static func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
                            extraDefaults: [String] = [], writeSeeds: (_ fixtures: URL, _ corpus: URL) throws -> Void,
                            _ callback: Callback) -> CInt {
        let arguments = (0..<Int(argc)).map { String(cString: argv[$0]!) }
        if arguments.count == 4, arguments[1] == "--write-seeds" {
            let corpus = URL(fileURLWithPath: arguments[3])
            do {
                try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
                try writeSeeds(URL(fileURLWithPath: arguments[2]), corpus)
                return 0
            } catch {
                FileHandle.standardError.write(Data("error: writing seeds: \(error)\n".utf8))
                return 1
            }
        }
        let defaults = ["-rss_limit_mb=\(rssLimitMB)", "-timeout=\(timeoutSeconds)"] + extraDefaults
        var all = arguments
        for flag in defaults {
            let name = String(flag.prefix { $0 != "=" }) + "="
            if !arguments.contains(where: { $0.hasPrefix(name) }) { all.insert(flag, at: 1) }
        }
        // libFuzzer keeps argv for the whole run (and may re-exec with it): strdup'ed, never freed.
        let cArguments = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: all.count + 1)
        for (index, argument) in all.enumerated() { cArguments[index] = strdup(argument) }
        cArguments[all.count] = nil
        var count = CInt(all.count)
        var pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = cArguments
        return runDriver(&count, &pointer, callback)
    }

    /// A file next to the fuzz package's sources, e.g. `Dictionaries/pickle.dict` (found from this source file's
    /// path, so it works from any working directory on the machine that built the fuzzer).
    public static func packageFile(_ relative: String) -> String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appending(path: relative).path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }
}

@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
               _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt
