import Foundation
import Testing
import ZooTestSupport

@Suite struct ShowCommandTests {
    @Test func unknownEntrySuggestsClosestNames() throws {
        let result = try Fixtures.runSkelzoo(["show", "stgcn_80e_babel12", "--home", Fixtures.temporaryDirectory().path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("error: unknown zoo entry 'stgcn_80e_babel12'"))
        #expect(result.stderr.contains("'stgcn_80e_babel120'"))
    }

    @Test func showPrintsScoresSourcesFootnoteAndOurParameterCount() throws {
        let result = try Fixtures.runSkelzoo(["show", "stgcn_80e_babel120_wfl", "--home", Fixtures.temporaryDirectory().path])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Mean Top 1 Accuracy: 26.17*"))
        #expect(result.stdout.contains("* Copied from the BABEL paper"))
        #expect(result.stdout.contains("Parameters (SkelZoo model): 3114252"))
        #expect(result.stdout.contains("stgcn_80e_babel120_wfl-3f2c100d.pth"))
    }
}
