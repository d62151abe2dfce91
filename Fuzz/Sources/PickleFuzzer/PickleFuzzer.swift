// Feeds arbitrary bytes to the pickle reader and to the torch checkpoint loader (zip and legacy containers).
// Every input must end in a value or a CheckpointError: no crash, no hang, no unbounded allocation.
import ZooTorch

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let value = try? Unpickler.load(bytes), case .dict = value {
        _ = value.dictionary?.keys
    }
    if let checkpoint = try? TorchCheckpoint.load(bytes: bytes) {
        _ = try? checkpoint.stateDict()
    }
    // Also as a zip container with the bytes as its data.pkl.
    var zip = ZipWriter()
    zip.add("archive/data.pkl", bytes)
    zip.add("archive/data/0", [UInt8](repeating: 0, count: 64))
    if let checkpoint = try? TorchCheckpoint.load(bytes: zip.finish()) {
        _ = try? checkpoint.stateDict()
    }
    return 0
}

// SwiftPM links executables with `main` aliased to `<Target>_main`; hand control to libFuzzer's driver from there.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
               _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("PickleFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return runDriver(&count, &arguments, fuzz)
}
