import Foundation
import Testing
import ZooIO
import ZooTestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite struct ZooIOTests {
    @Test func aHeldLockRefusesASecondHolderThatDoesNotWaitAndIsFreeOnceReleased() throws {
        let path = Fixtures.temporaryDirectory("lock").appending(path: "x.lock").path
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        let held = try FileLock(path: path)
        let error = #expect(throws: IOError.self) { try FileLock(path: path, wait: false) }
        #expect(error?.code == EWOULDBLOCK)
        held.release()
        try FileLock(path: path, wait: false).release()
        #expect(try FileLock.withLock(at: path) { 42 } == 42)
        let missing = #expect(throws: IOError.self) { try FileLock(path: path + ".absent", create: false) }
        #expect(missing?.code == ENOENT)
    }

    @Test func anAtomicWriteReplacesTheFileAndNamesAFileInTheWayOfItsFolder() throws {
        let dir = Fixtures.temporaryDirectory("atomic")
        let target = dir.appending(path: "a/b.txt")
        try AtomicFile.write(Data("one".utf8), to: target)
        try AtomicFile.write(Data("two".utf8), to: target)
        #expect(try String(contentsOf: target, encoding: .utf8) == "two")
        #expect(try FileManager.default.contentsOfDirectory(atPath: target.deletingLastPathComponent().path) == ["b.txt"])
        let error = #expect(throws: IOError.self) { try AtomicFile.write(Data("x".utf8), to: target.appending(path: "c.txt")) }
        #expect(error?.message == "\(target.path) is a file, not a folder")
    }

    @Test func hashingStreamsAFileAndRefusesAFolder() throws {
        let dir = Fixtures.temporaryDirectory("hashing")
        let file = dir.appending(path: "abc")
        try AtomicFile.write(Data("abc".utf8), to: file)
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  // FIPS 180-2 test vector
        #expect(try Hashing.sha256(of: file) == abc && Hashing.sha256(Data("abc".utf8)) == abc)
        let error = #expect(throws: IOError.self) { try Hashing.sha256(of: dir) }
        #expect(error?.message == "file \(dir.path) is a folder, expected a file")
    }

    @Test func aFullDeviceIsAWriteErrorWithItsErrno() throws {
        let fd = open("/dev/full", O_WRONLY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        let error = #expect(throws: IOError.self) { try Array("x".utf8).withUnsafeBytes { try POSIX.writeAll(fd, $0, to: "/dev/full") } }
        #expect(error?.code == ENOSPC && error?.message == "cannot write /dev/full: \(POSIX.reason(ENOSPC))")
        try POSIX.unlinkIfPresent(Fixtures.temporaryDirectory("unlink").appending(path: "absent").path)
    }

    @Test func everyErrorIsOneLineNeverAnNSErrorDump() {
        let cocoa = CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "/x"])
        #expect(ErrorText.describe(cocoa) == cocoa.localizedDescription)
        #expect(ErrorText.describe(IOError("cannot read /x", hint: "h")) == "cannot read /x")
    }
}
