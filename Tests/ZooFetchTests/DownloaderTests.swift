import Crypto
import Foundation
import Testing
import ZooTestSupport
@testable import ZooFetch

/// Downloads against a real HTTP server on 127.0.0.1, with faults on request. Loopback only; every test ends by itself.
@Suite struct DownloaderTests {
    static let payload: [UInt8] = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
    static let sha = SHA256.hash(data: payload).map { String(format: "%02x", $0) }.joined()

    static func downloader(retries: Int = 4, mirror: String? = nil, offline: Bool = false, lowSpeed: (Int, Int) = (1024, 30)) -> Downloader {
        var options = DownloadOptions()
        options.retries = retries
        options.backoff = 0.01
        options.maxBackoff = 0.05
        options.mirror = mirror
        options.offline = offline
        options.lowSpeedLimit = lowSpeed.0
        options.lowSpeedTime = lowSpeed.1
        return Downloader(options: options)
    }

    static func destination() -> URL {
        let folder = Fixtures.temporaryDirectory("fetch").appending(path: "checkpoints")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appending(path: "model-\(String(sha.prefix(8))).pth")
    }

    static func leftovers(_ destination: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: destination.deletingLastPathComponent().path)) ?? []).filter { $0.hasSuffix(".part") }
    }

    @Test func downloadsAndVerifiesByFullHashAndByPrefix() throws {
        let server = try LoopbackHTTPServer()
        server.serve("/m.pth", Self.payload)
        let destination = Self.destination()
        let result = try Self.downloader().fetch(server.baseURL + "/m.pth", to: destination, expected: ExpectedHash(sha256: Self.sha))
        #expect(result.sha256 == Self.sha && !result.cached && result.byteCount == 300_000)
        #expect(try Data(contentsOf: destination) == Data(Self.payload))
        let again = try Self.downloader().fetch(server.baseURL + "/m.pth", to: destination, expected: ExpectedHash(prefix: String(Self.sha.prefix(8))))
        #expect(again.cached)
        #expect(server.requests("/m.pth") == 1)
    }

    @Test func aBodyCutMidwayIsResumedWithARangeRequest() throws {
        let server = try LoopbackHTTPServer()
        server.serve("/m.pth", Self.payload, faults: [.cutAfter(bytes: 100_000)])
        let destination = Self.destination()
        let result = try Self.downloader().fetch(server.baseURL + "/m.pth", to: destination, expected: ExpectedHash(sha256: Self.sha))
        #expect(result.attempts == 2)
        #expect(server.ranges.contains { $0.hasSuffix("bytes=100000-") })
        #expect(try Data(contentsOf: destination) == Data(Self.payload))
    }

    @Test func serviceUnavailableTwiceThenSuccessIsRetried() throws {
        let server = try LoopbackHTTPServer()
        server.serve("/m.pth", Self.payload, faults: [.unavailable(times: 2)])
        let result = try Self.downloader().fetch(server.baseURL + "/m.pth", to: Self.destination(), expected: ExpectedHash(sha256: Self.sha))
        #expect(result.attempts == 3)
        #expect(server.requests("/m.pth") == 3)
    }

    @Test func tooManyRequestsWaitsForRetryAfter() throws {
        let server = try LoopbackHTTPServer()
        server.serve("/m.pth", Self.payload, faults: [.tooManyRequests(retryAfter: 0)])
        let result = try Self.downloader().fetch(server.baseURL + "/m.pth", to: Self.destination(), expected: ExpectedHash(sha256: Self.sha))
        #expect(result.attempts == 2)
    }

    @Test func notFoundIsNotRetriedAndNamesTheURL() throws {
        let server = try LoopbackHTTPServer()
        let destination = Self.destination()
        do {
            _ = try Self.downloader().fetch(server.baseURL + "/missing.pth", to: destination, expected: ExpectedHash(sha256: Self.sha))
            Issue.record("expected an error")
        } catch let error as DownloadError {
            #expect(error.code == .notFound && error.status == 404)
            #expect(error.url == server.baseURL + "/missing.pth")
        }
        #expect(server.requests("/missing.pth") == 1)
        #expect(!FileManager.default.fileExists(atPath: destination.path))
    }

    @Test func wrongBytesLeaveNothingInTheCache() throws {
        let server = try LoopbackHTTPServer()
        server.serve("/m.pth", Self.payload, faults: [.wrongBytes])
        let destination = Self.destination()
        #expect(throws: DownloadError.self) {
            try Self.downloader().fetch(server.baseURL + "/m.pth", to: destination, expected: ExpectedHash(sha256: Self.sha))
        }
        #expect(server.requests("/m.pth") == 1)
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        #expect(Self.leftovers(destination).isEmpty)
    }

    @Test func aTrickleBelowTheSpeedLimitTimesOutAndKeepsThePart() throws {
        let server = try LoopbackHTTPServer()
        server.serve("/m.pth", Self.payload, faults: [.trickle(bytes: 1000, interval: 0.2)])
        let destination = Self.destination()
        do {
            _ = try Self.downloader(retries: 1, lowSpeed: (100_000, 1)).fetch(server.baseURL + "/m.pth", to: destination, expected: ExpectedHash(sha256: Self.sha))
            Issue.record("expected an error")
        } catch let error as DownloadError {
            #expect(error.code == .retriesExhausted)
            #expect(error.message.contains("gave up after 2 attempts"))
        }
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        #expect(Self.leftovers(destination).count == 1)
    }

    @Test func aServerThatIgnoresRangeRestartsFromZero() throws {
        let server = try LoopbackHTTPServer()
        server.serve("/m.pth", Self.payload, faults: [.cutAfter(bytes: 120_000), .ignoreRange])
        let destination = Self.destination()
        let result = try Self.downloader().fetch(server.baseURL + "/m.pth", to: destination, expected: ExpectedHash(sha256: Self.sha))
        #expect(result.attempts == 2)
        #expect(!server.ranges.isEmpty)
        #expect(try Data(contentsOf: destination) == Data(Self.payload))
    }

    @Test func aChangedFileOnTheServerRestartsCleanly() throws {
        let server = try LoopbackHTTPServer()
        let destination = Self.destination()
        // A .part left from an older version of the file (etag v0, other bytes).
        try Data(repeating: 7, count: 50_000).write(to: URL(fileURLWithPath: destination.path + ".part"))
        try JSONEncoder().encode(Downloader.PartMeta(url: server.baseURL + "/m.pth", etag: "\"v0\"", lastModified: nil, total: 300_000))
            .write(to: URL(fileURLWithPath: destination.path + ".part.json"))
        server.serve("/m.pth", Self.payload, etag: "\"v1\"")
        let result = try Self.downloader().fetch(server.baseURL + "/m.pth", to: destination, expected: ExpectedHash(sha256: Self.sha))
        #expect(result.attempts == 2)
        #expect(try Data(contentsOf: destination) == Data(Self.payload))
    }

    @Test func aRangePastTheEndGets416AndRestarts() throws {
        let server = try LoopbackHTTPServer()
        let destination = Self.destination()
        try Data(repeating: 1, count: 400_000).write(to: URL(fileURLWithPath: destination.path + ".part"))
        try JSONEncoder().encode(Downloader.PartMeta(url: server.baseURL + "/m.pth", etag: "\"v1\"", lastModified: nil, total: nil))
            .write(to: URL(fileURLWithPath: destination.path + ".part.json"))
        server.serve("/m.pth", Self.payload)
        let result = try Self.downloader().fetch(server.baseURL + "/m.pth", to: destination, expected: ExpectedHash(sha256: Self.sha))
        #expect(result.attempts == 2)
        #expect(try Data(contentsOf: destination) == Data(Self.payload))
    }

    @Test func redirectsAreFollowed() throws {
        let server = try LoopbackHTTPServer()
        server.serve("/old.pth", [], faults: [.redirect(to: "/new.pth")])
        server.serve("/new.pth", Self.payload)
        let result = try Self.downloader().fetch(server.baseURL + "/old.pth", to: Self.destination(), expected: ExpectedHash(sha256: Self.sha))
        #expect(result.sha256 == Self.sha)
    }

    @Test func twoConcurrentDownloadsOfOneFileFetchItOnce() throws {
        let server = try LoopbackHTTPServer()
        server.serve("/m.pth", Self.payload, faults: [.trickle(bytes: 50_000, interval: 0.02)])
        let destination = Self.destination()
        let results = UnsafeResults()
        let group = DispatchGroup()
        for index in 0..<2 {
            DispatchQueue.global().async(group: group) {
                results.set(index, try? Self.downloader().fetch(server.baseURL + "/m.pth", to: destination, expected: ExpectedHash(sha256: Self.sha)))
            }
        }
        group.wait()
        #expect(results.values.compactMap { $0 }.count == 2)
        #expect(results.values.compactMap { $0?.cached }.sorted { !$0 && $1 } == [false, true])
        #expect(server.requests("/m.pth") == 1)
    }

    @Test func aMirrorKeepsThePathAndOfflineNeverTouchesTheNetwork() throws {
        let server = try LoopbackHTTPServer()
        server.serve("/mmaction/skeleton/stgcn/m.pth", Self.payload)
        let destination = Self.destination()
        #expect(Self.downloader(mirror: server.baseURL).effectiveURL("https://download.openmmlab.com/mmaction/skeleton/stgcn/m.pth")
                == server.baseURL + "/mmaction/skeleton/stgcn/m.pth")
        do {
            _ = try Self.downloader(offline: true).fetch("https://download.openmmlab.com/mmaction/skeleton/stgcn/m.pth", to: destination, expected: ExpectedHash(sha256: Self.sha))
            Issue.record("expected an error")
        } catch let error as DownloadError {
            #expect(error.code == .offline)
        }
        _ = try Self.downloader(mirror: server.baseURL).fetch("https://download.openmmlab.com/mmaction/skeleton/stgcn/m.pth", to: destination, expected: ExpectedHash(sha256: Self.sha))
        let cached = try Self.downloader(offline: true).fetch("https://download.openmmlab.com/mmaction/skeleton/stgcn/m.pth", to: destination, expected: ExpectedHash(sha256: Self.sha))
        #expect(cached.cached)
    }
}

final class UnsafeResults: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Int: FetchResult?] = [:]
    func set(_ index: Int, _ value: FetchResult?) { lock.lock(); storage[index] = value; lock.unlock() }
    var values: [FetchResult?] { lock.lock(); defer { lock.unlock() }; return storage.keys.sorted().map { storage[$0]! } }
}
