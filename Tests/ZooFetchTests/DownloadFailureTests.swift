import Foundation
import Testing
import ZooTestSupport
@testable import ZooFetch

/// Issue 11, scenarios 17 and 18: what a failed download says, and what it leaves behind.
@Suite struct DownloadFailureTests {
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [String] = []
        func append(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return stored }
    }

    @Test func aHashMismatchReportsTheBytesThatArrived() throws {
        let server = try LoopbackHTTPServer()
        let bytes = [UInt8](repeating: 7, count: 2_100)
        server.serve("/m.pth", bytes, faults: [.wrongBytes])
        let destination = DownloaderTests.destination()
        do {
            _ = try DownloaderTests.downloader().fetch(server.baseURL + "/m.pth", to: destination, expected: ExpectedHash(sha256: DownloaderTests.sha))
            Issue.record("a wrong file was accepted")
        } catch let error as DownloadError {
            #expect(error.code == .hashMismatch)
            #expect(error.message.contains("(2100 bytes received)"), "\(error.message)")
        }
    }

    @Test func aServerThatNeverAnswersIsReportedWhileWaitingAndLeavesNoEmptyPart() throws {
        let server = try LoopbackHTTPServer()
        server.serve("/m.pth", DownloaderTests.payload, faults: [.silent(seconds: 3)])
        let destination = DownloaderTests.destination()
        var options = DownloadOptions()
        options.retries = 1
        options.backoff = 0.01
        options.maxBackoff = 0.05
        options.lowSpeedLimit = 1024
        options.lowSpeedTime = 1
        options.waitingNoticeAfter = 0.3
        let lines = Lines()
        let started = Date()
        do {
            _ = try Downloader(options: options).fetch(server.baseURL + "/m.pth", to: destination, expected: ExpectedHash(sha256: DownloaderTests.sha),
                                                       status: { lines.append($0) })
            Issue.record("a silent server gave a file")
        } catch let error as DownloadError {
            #expect(error.code == .retriesExhausted)
            #expect(error.hint?.contains("nothing was kept") == true, "\(error.hint ?? "")")
            #expect(error.hint?.contains("partial file is kept") != true)
        }
        #expect(Date().timeIntervalSince(started) < Double(options.maxSilentSeconds) + 2)
        #expect(DownloaderTests.leftovers(destination).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: destination.path + ".part.json"))
        let said = lines.all
        #expect(said.first?.contains("attempt 1 of 2; gives up after \(options.maxSilentSeconds) s") == true, "\(said)")
        #expect(said.contains { $0.hasPrefix("waiting for the server: nothing received for") }, "\(said)")
    }
}
