import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 for download tests, serving files with faults on request.
/// It listens on an ephemeral port, handles one connection at a time per thread, and stops when released.
public final class LoopbackHTTPServer: @unchecked Sendable {
    public enum Fault: Sendable {
        /// Send the headers for the whole body, then only the first `bytes` and close.
        case cutAfter(bytes: Int)
        /// Answer 503 (with Retry-After: 0) this many times, then serve normally.
        case unavailable(times: Int)
        case status(Int)
        /// 429 with Retry-After seconds, once.
        case tooManyRequests(retryAfter: Int)
        /// Serve `bytes` per `interval` seconds.
        case trickle(bytes: Int, interval: Double)
        /// Answer 200 with the whole body even to Range requests.
        case ignoreRange
        /// Redirect to another path.
        case redirect(to: String)
        /// Serve other bytes than registered (a hash mismatch).
        case wrongBytes
        /// Accept the connection and read the request, then say nothing for `seconds` and close.
        case silent(seconds: Double)
    }

    public struct Route: Sendable {
        public var body: [UInt8]
        public var faults: [Fault]
        public var etag: String
    }

    public private(set) var port: UInt16 = 0
    private let socketFD: Int32
    private let lock = NSLock()
    private var routes: [String: Route] = [:]
    private var counts: [String: Int] = [:]
    private var rangeRequests: [String] = []
    private var running = true

    public init() throws {
        socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(socketFD, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(socketFD, 16) == 0 else { throw NSError(domain: "LoopbackHTTPServer", code: Int(errno)) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) } }
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [weak self] in self?.acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    public func stop() {
        lock.lock()
        let wasRunning = running
        running = false
        lock.unlock()
        if wasRunning { shutdown(socketFD, Int32(SHUT_RDWR)); close(socketFD) }
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public func serve(_ path: String, _ body: [UInt8], faults: [Fault] = [], etag: String = "\"v1\"") {
        lock.lock()
        routes[path] = Route(body: body, faults: faults, etag: etag)
        lock.unlock()
    }

    /// Requests received for `path` so far.
    public func requests(_ path: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return counts[path] ?? 0
    }

    /// The Range headers received, in order.
    public var ranges: [String] {
        lock.lock()
        defer { lock.unlock() }
        return rangeRequests
    }

    private func acceptLoop() {
        while true {
            let client = accept(socketFD, nil, nil)
            if client < 0 {
                lock.lock()
                let stillRunning = running
                lock.unlock()
                if !stillRunning { return }
                continue
            }
            let thread = Thread { [weak self] in
                self?.handle(client)
                close(client)
            }
            thread.start()
        }
    }

    private func handle(_ client: Int32) {
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !request.containsHeaderEnd {
            let n = recv(client, &buffer, buffer.count, 0)
            if n <= 0 { return }
            request += buffer[0..<n]
        }
        let text = String(decoding: request, as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count >= 2 else { return }
        let path = String(parts[1])
        var range: Int?
        for line in lines where line.lowercased().hasPrefix("range: bytes=") {
            range = Int(line.dropFirst("range: bytes=".count).split(separator: "-").first ?? "")
            lock.lock(); rangeRequests.append(line); lock.unlock()
        }
        lock.lock()
        counts[path, default: 0] += 1
        let count = counts[path]!
        let route = routes[path]
        lock.unlock()
        guard let route else { return respond(client, status: "404 Not Found", headers: [], body: Array("not found".utf8)) }
        var body = route.body
        var cut: Int?
        var ignoreRange = false
        var trickle: (Int, Double)?
        var unavailableBudget = 0
        for fault in route.faults {
            switch fault {
            case .cutAfter(let bytes): if count == 1 { cut = bytes }
            case .unavailable(let times): unavailableBudget = times
            case .status(let code): return respond(client, status: "\(code) Error", headers: [], body: Array("error".utf8))
            case .tooManyRequests(let seconds):
                if count == 1 { return respond(client, status: "429 Too Many Requests", headers: ["Retry-After: \(seconds)"], body: []) }
            case .trickle(let bytes, let interval): trickle = (bytes, interval)
            case .ignoreRange: ignoreRange = true
            case .redirect(let target): return respond(client, status: "302 Found", headers: ["Location: \(target)"], body: [])
            case .wrongBytes: body = body.map { $0 ^ 0xFF }
            case .silent(let seconds):
                Thread.sleep(forTimeInterval: seconds)
                return
            }
        }
        if count <= unavailableBudget {
            return respond(client, status: "503 Service Unavailable", headers: ["Retry-After: 0"], body: Array("busy".utf8))
        }
        var status = "200 OK"
        var headers = ["ETag: \(route.etag)", "Accept-Ranges: bytes"]
        var payload = body
        if let start = range, !ignoreRange {
            if start >= body.count {
                return respond(client, status: "416 Range Not Satisfiable", headers: ["Content-Range: bytes */\(body.count)"], body: [])
            }
            status = "206 Partial Content"
            headers.append("Content-Range: bytes \(start)-\(body.count - 1)/\(body.count)")
            payload = Array(body[start...])
        }
        respond(client, status: status, headers: headers, body: payload, cutAfter: cut, trickle: trickle)
    }

    private func respond(_ client: Int32, status: String, headers: [String], body: [UInt8], cutAfter: Int? = nil, trickle: (Int, Double)? = nil) {
        var head = "HTTP/1.1 \(status)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        for header in headers { head += header + "\r\n" }
        head += "\r\n"
        sendAll(client, Array(head.utf8))
        let limit = min(body.count, cutAfter ?? body.count)
        if let (chunk, interval) = trickle {
            var offset = 0
            while offset < limit {
                let end = min(limit, offset + chunk)
                if !sendAll(client, Array(body[offset..<end])) { return }
                offset = end
                Thread.sleep(forTimeInterval: interval)
            }
        } else {
            sendAll(client, Array(body[0..<limit]))
        }
    }

    @discardableResult
    private func sendAll(_ client: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}

private extension Array where Element == UInt8 {
    var containsHeaderEnd: Bool {
        guard count >= 4 else { return false }
        for i in 0...(count - 4) where self[i] == 13 && self[i + 1] == 10 && self[i + 2] == 13 && self[i + 3] == 10 { return true }
        return false
    }
}
