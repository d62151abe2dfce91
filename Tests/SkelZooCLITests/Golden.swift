import Foundation
import ZooTestSupport

/// Golden files under Tests/SkelZooCLITests/Golden. `SKELZOO_UPDATE_GOLDEN=1 swift test --filter SkelZooCLITests`
/// rewrites the ones a test compares with ``matches(_:_:)`` from the current output; review the diff before committing.
enum Golden {
    static let folder = Fixtures.repositoryRoot.appending(path: "Tests/SkelZooCLITests/Golden")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: folder.appending(path: name), encoding: .utf8)
    }

    /// Whether `output` equals the golden file `name`; with `SKELZOO_UPDATE_GOLDEN=1`, writes it first.
    static func matches(_ output: String, _ name: String) throws -> Bool {
        let url = folder.appending(path: name)
        if ProcessInfo.processInfo.environment["SKELZOO_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(output.utf8).write(to: url)
        }
        return output == (try text(name))
    }
}
