import ZooIO

/// Why a download failed: which URL, what went wrong, and what to do.
public struct DownloadError: DiagnosedError, Sendable {
    public enum Code: String, Sendable {
        case notFound, forbidden, httpStatus, hashMismatch, network, offline, io, retriesExhausted
    }

    public var code: Code
    public var url: String
    public var message: String
    public var hint: String?
    /// HTTP status, when one was received.
    public var status: Int?
    /// Seconds a 429/503 asked to wait before retrying.
    public var retryAfter: Double?

    public init(_ code: Code, url: String, _ message: String, hint: String? = nil, status: Int? = nil) {
        self.code = code
        self.url = url
        self.message = message
        self.hint = hint
        self.status = status
    }

    public var description: String { "\(url): \(message)" }
}
