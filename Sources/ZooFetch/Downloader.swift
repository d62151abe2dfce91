// Verified, resumable, atomic downloads over libcurl.
//
// A file is fetched into `NAME.part` beside its destination (with `NAME.part.json` recording the URL and the
// server's ETag / Last-Modified / size for resuming), then hashed and renamed into place only when the sha256
// matches. A `.part` left by a killed process is continued with a Range request; a server that answers 200
// instead of 206, a 416, or a changed file (validators differ) restarts from zero. Transient failures (connection
// errors, timeouts, 5xx, 429 with Retry-After) are retried with exponential backoff and jitter; 404/403 and hash
// mismatches are not. A `NAME.lock` flock serialises processes fetching the same file; the kernel drops it when a
// process dies, so a killed process never blocks the next one.
import CCurl
import Foundation
#if canImport(Glibc)
import Glibc
import ZooIO
#endif

public struct DownloadOptions: Sendable {
    public var retries = 4
    /// First backoff delay; doubles per attempt, with jitter, capped at `maxBackoff`.
    public var backoff: Double = 0.5
    public var maxBackoff: Double = 30
    public var connectTimeout = 15
    /// Abort when slower than `lowSpeedLimit` bytes/s for `lowSpeedTime` seconds.
    public var lowSpeedLimit = 1024
    public var lowSpeedTime = 30
    /// Replaces scheme and host of every URL, keeping the path (air-gapped mirrors).
    public var mirror: String?
    /// Never touch the network.
    public var offline = false
    /// Seconds without a byte from the server before a "waiting" line (and again every as many seconds).
    public var waitingNoticeAfter: Double = 5

    /// The longest a download can go without receiving anything before it gives up: every attempt's connect timeout
    /// and stall limit, plus the backoff between attempts.
    public var maxSilentSeconds: Int {
        let backoffs = (0..<retries).map { min(maxBackoff, backoff * pow(2, Double($0))) }.reduce(0, +)
        return (retries + 1) * (connectTimeout + lowSpeedTime) + Int(backoffs.rounded(.up))
    }

    public init() {}

    /// Options from the environment: SKELZOO_MIRROR, SKELZOO_OFFLINE=1.
    public static var fromEnvironment: DownloadOptions {
        var options = DownloadOptions()
        let environment = ProcessInfo.processInfo.environment
        if let mirror = environment["SKELZOO_MIRROR"], !mirror.isEmpty { options.mirror = mirror }
        if environment["SKELZOO_OFFLINE"] == "1" { options.offline = true }
        return options
    }
}

/// What the file must hash to: the full sha256 when known, else OpenMMLab's 8-hex prefix from the file name.
public struct ExpectedHash: Sendable, Equatable {
    public var sha256: String?
    public var prefix: String?

    public init(sha256: String? = nil, prefix: String? = nil) {
        self.sha256 = sha256?.lowercased()
        self.prefix = prefix?.lowercased()
    }

    public func matches(_ actual: String) -> Bool {
        if let sha256 { return actual == sha256 }
        if let prefix { return actual.hasPrefix(prefix) }
        return true
    }

    /// False when there is nothing to check against: any file "matches".
    public var isKnown: Bool { sha256 != nil || prefix != nil }

    public var description: String { sha256 ?? prefix.map { "\($0)…" } ?? "(none)" }
}

public struct FetchResult: Sendable, Equatable {
    public var path: String
    public var sha256: String
    public var byteCount: Int64
    /// True when the verified file was already in place.
    public var cached: Bool
    public var attempts: Int
}

public final class Downloader: @unchecked Sendable {
    public let options: DownloadOptions

    public init(options: DownloadOptions = .fromEnvironment) {
        self.options = options
        _ = Self.globalInit
    }

    static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// The URL actually fetched: `url` with scheme and host replaced by the mirror's, path kept.
    public func effectiveURL(_ url: String) -> String {
        guard let mirror = options.mirror, let original = URLComponents(string: url), var base = URLComponents(string: mirror) else { return url }
        base.path = (base.path.hasSuffix("/") ? String(base.path.dropLast()) : base.path) + original.path
        base.query = original.query
        return base.string ?? url
    }

    /// Fetches `url` to `destination`, verified against `expected`.
    /// - Throws: ``DownloadError`` saying which of URL, status, size or hash failed.
    /// - Parameters:
    ///   - progress: bytes received so far and the total when known.
    ///   - status: lines for the user while nothing arrives: each attempt's start and "waiting" notices.
    public func fetch(_ url: String, to destination: URL, expected: ExpectedHash,
                      progress: ((_ received: Int64, _ total: Int64?) -> Void)? = nil,
                      status: ((String) -> Void)? = nil) throws -> FetchResult {
        let source = effectiveURL(url)
        let directory = destination.deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw DownloadError(.io, url: source, "cannot create \(directory.path): \(error.localizedDescription)")
        }
        let lock: FileLock
        do { lock = try FileLock(path: destination.path + ".lock") } catch let error as IOError {
            throw DownloadError(.io, url: source, error.message)
        }
        defer { lock.release() }
        // A verified file already in place (perhaps fetched by another process while we waited).
        if FileManager.default.fileExists(atPath: destination.path) {
            let sha = try Self.sha256(of: destination, url: source)
            if expected.matches(sha) {
                return FetchResult(path: destination.path, sha256: sha, byteCount: Self.size(destination), cached: true, attempts: 0)
            }
            if options.offline {
                throw DownloadError(.hashMismatch, url: source, "cached \(destination.path) has sha256 \(sha), expected \(expected.description)",
                                    hint: "run without --offline to fetch it again")
            }
            try Self.discard(destination, url: source)
        }
        guard !options.offline else {
            throw DownloadError(.offline, url: source, "not cached at \(destination.path) and offline mode is on",
                                hint: "run without --offline / SKELZOO_OFFLINE, or copy the file there")
        }
        return try download(source, to: destination, expected: expected, progress: progress, status: status)
    }

    // MARK: - The transfer loop

    struct PartMeta: Codable, Equatable {
        var url: String
        var etag: String?
        var lastModified: String?
        var total: Int64?
    }

    func download(_ url: String, to destination: URL, expected: ExpectedHash, progress: ((Int64, Int64?) -> Void)?,
                  status: ((String) -> Void)? = nil) throws -> FetchResult {
        let part = URL(fileURLWithPath: destination.path + ".part")
        let metaURL = URL(fileURLWithPath: destination.path + ".part.json")
        var meta = (try? JSONDecoder().decode(PartMeta.self, from: Data(contentsOf: metaURL))).flatMap { $0.url == url ? $0 : nil }
        if meta == nil { try Self.discard(part, url: url) }
        var attempt = 0
        var lastError: DownloadError?
        while attempt <= options.retries {
            if attempt > 0 {
                let wait = lastError.flatMap { $0.retryAfter } ?? min(options.maxBackoff, options.backoff * pow(2, Double(attempt - 1)))
                let jitter = wait * Double.random(in: 0.5...1.0)
                Thread.sleep(forTimeInterval: min(jitter, options.maxBackoff))
            }
            attempt += 1
            status?("\(attempt == 1 ? "requesting" : "retrying") \(url) (attempt \(attempt) of \(options.retries + 1); "
                    + "gives up after \(options.maxSilentSeconds) s in all without data)")
            let offset = Self.size(part)
            let previous = meta
            let transfer = Transfer(part: part, resumeFrom: meta != nil && offset > 0 ? offset : 0, progress: progress,
                                    waiting: status.map { report in (options.waitingNoticeAfter, report) }) { transfer in
                // Record the validators before the first byte lands; unless the file changed under a resume.
                let fresh = PartMeta(url: url, etag: transfer.etag, lastModified: transfer.lastModified, total: transfer.total)
                if transfer.status == 200 || !Self.changed(previous, fresh) { try? JSONEncoder().encode(fresh).write(to: metaURL) }
            }
            let outcome = perform(url, transfer)
            // Remember the validators so a later process can resume.
            if transfer.etag != nil || transfer.lastModified != nil || transfer.total != nil {
                let fresh = PartMeta(url: url, etag: transfer.etag, lastModified: transfer.lastModified, total: transfer.total)
                if transfer.status == 206, Self.changed(previous, fresh) {
                    // The file changed on the server since the .part began: start over.
                    try Self.discard(part, url: url)
                    try Self.discard(metaURL, url: url)
                    meta = nil
                    lastError = DownloadError(.network, url: url, "the file changed on the server; restarting")
                    continue
                }
                meta = fresh
                try? JSONEncoder().encode(fresh).write(to: metaURL)
            }
            switch outcome {
            case .complete:
                let sha = try Self.sha256(of: part, url: url)
                guard expected.matches(sha) else {
                    let received = Self.size(part)  // before the .part goes
                    try Self.discard(part, url: url)
                    try Self.discard(metaURL, url: url)
                    throw DownloadError(.hashMismatch, url: url, "sha256 is \(sha), expected \(expected.description) (\(received) bytes received); nothing was kept",
                                        hint: "the server or mirror holds a different file; check the URL")
                }
                try Self.commit(part, to: destination, url: url)
                try Self.discard(metaURL, url: url)
                return FetchResult(path: destination.path, sha256: sha, byteCount: Self.size(destination), cached: false, attempts: attempt)
            case .restart(let error):
                try Self.discard(part, url: url)
                try Self.discard(metaURL, url: url)
                meta = nil
                lastError = error
            case .retry(let error):
                lastError = error
            case .fail(let error):
                try Self.discard(part, url: url)
                try Self.discard(metaURL, url: url)
                throw error
            }
        }
        let kept = Self.size(part)
        if kept == 0 {
            // An empty .part resumes nothing; leave no debris that a message would call "kept".
            try Self.discard(part, url: url)
            try Self.discard(metaURL, url: url)
        }
        throw DownloadError(.retriesExhausted, url: url, "gave up after \(attempt) attempts: \(lastError?.message ?? "unknown error")",
                            hint: kept > 0 ? "\(kept) bytes are kept in \(part.path); run the command again to resume"
                                : "nothing was received, nothing was kept; check the URL, the mirror and the network", status: lastError?.status)
    }

    /// True when a server's validators say the file is not the one a .part began with.
    static func changed(_ old: PartMeta?, _ fresh: PartMeta) -> Bool {
        guard let old else { return false }
        return (old.etag != nil && old.etag != fresh.etag) || (old.lastModified != nil && old.lastModified != fresh.lastModified)
            || (old.total != nil && fresh.total != nil && old.total != fresh.total)
    }

    enum Outcome {
        case complete
        case retry(DownloadError)
        case restart(DownloadError)
        case fail(DownloadError)
    }

    func perform(_ url: String, _ transfer: Transfer) -> Outcome {
        guard let curl = curl_easy_init() else { return .fail(DownloadError(.io, url: url, "libcurl could not start")) }
        defer { curl_easy_cleanup(curl) }
        guard transfer.open() else { return .fail(DownloadError(.io, url: url, "cannot write \(transfer.part.path)")) }
        defer { transfer.close() }
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        _ = skelzoo_curl_set_string(curl, CURLOPT_URL, url)
        _ = skelzoo_curl_set_long(curl, CURLOPT_FOLLOWLOCATION, 1)
        _ = skelzoo_curl_set_long(curl, CURLOPT_MAXREDIRS, 10)
        _ = skelzoo_curl_set_long(curl, CURLOPT_CONNECTTIMEOUT, options.connectTimeout)
        _ = skelzoo_curl_set_long(curl, CURLOPT_LOW_SPEED_LIMIT, options.lowSpeedLimit)
        _ = skelzoo_curl_set_long(curl, CURLOPT_LOW_SPEED_TIME, options.lowSpeedTime)
        _ = skelzoo_curl_set_long(curl, CURLOPT_NOSIGNAL, 1)
        _ = skelzoo_curl_set_string(curl, CURLOPT_USERAGENT, "skelzoo/0.1")
        // A plain Range header (not CURLOPT_RESUME_FROM): libcurl then accepts a 200 answer, which restarts the file.
        if transfer.resumeFrom > 0 { _ = skelzoo_curl_set_string(curl, CURLOPT_RANGE, "\(transfer.resumeFrom)-") }
        _ = skelzoo_curl_set_data_callback(curl, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            guard let data, let context else { return 0 }
            return Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue().write(data, size * count)
        }
        _ = skelzoo_curl_set_pointer(curl, CURLOPT_WRITEDATA, context)
        _ = skelzoo_curl_set_data_callback(curl, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            guard let data, let context else { return 0 }
            Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue().header(data, size * count)
            return size * count
        }
        _ = skelzoo_curl_set_pointer(curl, CURLOPT_HEADERDATA, context)
        if transfer.progress != nil || transfer.waiting != nil {
            _ = skelzoo_curl_set_long(curl, CURLOPT_NOPROGRESS, 0)
            _ = skelzoo_curl_set_progress_callback(curl) { context, total, now, _, _ in
                guard let context else { return 0 }
                Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue().reportProgress(total: Int64(total), now: Int64(now))
                return 0
            }
            _ = skelzoo_curl_set_pointer(curl, CURLOPT_XFERINFODATA, context)
        }
        let code = curl_easy_perform(curl)
        var status = 0
        _ = skelzoo_curl_get_long(curl, CURLINFO_RESPONSE_CODE, &status)
        transfer.status = status
        if transfer.failedWrite { return .fail(DownloadError(.io, url: url, "cannot write \(transfer.part.path) (disk full?)")) }
        if code != CURLE_OK && status != 416 && !(400..<600).contains(status) {
            let message = String(cString: curl_easy_strerror(code))
            return .retry(DownloadError(.network, url: url, "\(message) after \(transfer.written) bytes", status: status == 0 ? nil : status))
        }
        switch status {
        case 200, 206:
            if let total = transfer.total, Self.size(transfer.part) < total {
                return .retry(DownloadError(.network, url: url, "connection closed after \(Self.size(transfer.part)) of \(total) bytes", status: status))
            }
            return .complete
        case 416:
            return .restart(DownloadError(.network, url: url, "server refused the resume range (416); restarting", status: 416))
        case 404:
            return .fail(DownloadError(.notFound, url: url, "404 Not Found", hint: "the file is not at this URL (check the zoo entry or the mirror)", status: 404))
        case 403:
            return .fail(DownloadError(.forbidden, url: url, "403 Forbidden", hint: "the server refuses this file; check access or use --mirror", status: 403))
        case 429, 500..<600:
            var error = DownloadError(.network, url: url, "HTTP \(status)", status: status)
            error.retryAfter = transfer.retryAfter
            return .retry(error)
        default:
            return .fail(DownloadError(.httpStatus, url: url, "unexpected HTTP status \(status)", status: status))
        }
    }

    // MARK: - Files

    static func size(_ url: URL) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// Removes a file we own (.part, .part.json, a stale copy); only "not there" is fine, any other failure is an error.
    public static func discard(_ file: URL, url: String = "") throws {
        do { try POSIX.unlinkIfPresent(file.path) } catch let error as IOError { throw DownloadError(.io, url: url, error.message) }
    }

    /// Streams the file through SHA-256; a read error is an error, never the hash of a partial file.
    public static func sha256(of file: URL, url: String = "") throws -> String {
        do { return try Hashing.sha256(of: file) } catch let error as IOError { throw DownloadError(.io, url: url, error.message) }
    }

    /// fsync the .part, rename it over the destination, fsync the folder.
    static func commit(_ part: URL, to destination: URL, url: String) throws {
        do { try AtomicFile.moveIntoPlace(part, to: destination) } catch let error as IOError { throw DownloadError(.io, url: url, error.message) }
    }
}

