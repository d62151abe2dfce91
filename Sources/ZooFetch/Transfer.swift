import Foundation
#if canImport(Glibc)
import Glibc
import ZooIO
#endif

/// One HTTP response being written to a `.part` file (libcurl callbacks land here).
final class Transfer {
    let part: URL
    let resumeFrom: Int64
    let progress: ((Int64, Int64?) -> Void)?
    var fd: Int32 = -1
    var status = 0
    var etag: String?
    var lastModified: String?
    /// The whole file's size, from Content-Range or Content-Length.
    var total: Int64?
    var retryAfter: Double?
    var written: Int64 = 0
    var startedBody = false
    var failedWrite = false
    var lastReport = Date.distantPast
    /// After how many seconds without a byte to say so, and where.
    let waiting: (after: Double, report: (String) -> Void)?
    let started = Date()
    var lastWaitingNotice: Date?
    /// Called once when the body starts, with the response's validators, so a killed process can be resumed.
    let onBodyStart: (Transfer) -> Void

    init(part: URL, resumeFrom: Int64, progress: ((Int64, Int64?) -> Void)?, waiting: (after: Double, report: (String) -> Void)? = nil,
         onBodyStart: @escaping (Transfer) -> Void = { _ in }) {
        self.part = part
        self.resumeFrom = resumeFrom
        self.progress = progress
        self.waiting = waiting
        self.onBodyStart = onBodyStart
    }

    func open() -> Bool {
        fd = Glibc.open(part.path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        return fd >= 0
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Header lines; a new status line (redirects, 100-continue) resets what was read.
    func header(_ data: UnsafeMutablePointer<CChar>, _ count: Int) {
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            let parts = line.split(separator: " ")
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            etag = nil
            lastModified = nil
            total = nil
            retryAfter = nil
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        switch name {
        case "etag": etag = value
        case "last-modified": lastModified = value
        case "retry-after": retryAfter = Double(value)
        case "content-range":
            if let slash = value.lastIndex(of: "/") { total = Int64(value[value.index(after: slash)...]) }
        case "content-length":
            if status == 200, let length = Int64(value) { total = length }
        default: break
        }
    }

    /// Body bytes: written only for 200/206. A 200 to a range request restarts the file from zero.
    func write(_ data: UnsafeMutablePointer<CChar>, _ count: Int) -> Int {
        guard status == 200 || status == 206 else { return count }
        if !startedBody {
            startedBody = true
            let offset: Int64 = status == 206 ? resumeFrom : 0
            if ftruncate(fd, off_t(offset)) != 0 || lseek(fd, off_t(offset), SEEK_SET) < 0 {
                failedWrite = true
                return 0
            }
            written = offset
            onBodyStart(self)
        }
        var done = 0
        while done < count {
            let n = Glibc.write(fd, data + done, count - done)
            if n < 0 {
                if errno == EINTR { continue }
                failedWrite = true
                return 0
            }
            done += n
        }
        written += Int64(count)
        return count
    }

    func reportProgress(total: Int64, now: Int64) {
        if now == 0, !startedBody, let waiting {
            let silent = Date().timeIntervalSince(started)
            if silent >= waiting.after && Date().timeIntervalSince(lastWaitingNotice ?? started) >= waiting.after {
                lastWaitingNotice = Date()
                waiting.report("waiting for the server: nothing received for \(Int(silent)) s")
            }
        }
        guard let progress, Date().timeIntervalSince(lastReport) > 0.2 || (total > 0 && now == total) else { return }
        lastReport = Date()
        let base = status == 206 ? resumeFrom : 0
        progress(base + now, total > 0 ? base + total : nil)
    }
}
