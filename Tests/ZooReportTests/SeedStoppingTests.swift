import Foundation
import Testing
@testable import ZooReport

@Suite struct SeedStoppingTests {
    /// Feeds a scripted score sequence to the rule one seed at a time, as `reproduce --seeds auto` does, and returns how
    /// many seeds ran and the final decision.
    static func play(_ script: [Double], halfWidth: Double, maximum: Int) -> (ran: Int, decision: SeedStopping.Decision) {
        var scores: [Double] = []
        for score in script {
            scores.append(score)
            let decision = SeedStopping.decide(scores: scores, halfWidth: halfWidth, maximum: maximum)
            if decision != .runAnother { return (scores.count, decision) }
        }
        Issue.record("the script ran out before the rule stopped")
        return (scores.count, .runAnother)
    }

    @Test func stopsAtTheFirstSeedWhoseIntervalIsNarrowEnough() throws {
        // Half-widths by n (t · s / √n): n=3 [86.0, 86.4, 85.8] ± 0.76; n=4 adding 86.1 ± 0.40 ≤ 0.5: stop at 4.
        let (ran, decision) = Self.play([86.0, 86.4, 85.8, 86.1, 99.0, 99.0], halfWidth: 0.5, maximum: 10)
        #expect(ran == 4)
        guard case .stopNarrowEnough(let interval) = decision else { Issue.record("expected a narrow stop, got \(decision)"); return }
        #expect(interval.count == 4)
        #expect(abs(interval.mean - 86.075) < 1e-12)
        // s = 0.25, t(0.975, 3) = 3.182446: half-width 3.182446 · 0.25 / 2.
        #expect(abs(interval.std - 0.25) < 1e-12)
        #expect(abs(interval.halfWidth - 3.182446 * 0.25 / 2) < 1e-12)
        #expect(interval.text == "n=4, mean 86.07, std 0.25, 95% CI [85.68, 86.47] (± 0.40)")
    }

    @Test func neverStopsOnTwoSeedsThatHappenToAgree() {
        // Two identical scores have a zero-width interval; the rule still runs a third seed.
        #expect(SeedStopping.decide(scores: [86.0, 86.0], halfWidth: 0.5, maximum: 10) == .runAnother)
        let (ran, _) = Self.play([86.0, 86.0, 86.0], halfWidth: 0.5, maximum: 10)
        #expect(ran == 3)
    }

    @Test func stopsAtTheMaximumWhenTheScoresStayNoisy() {
        let noisy = [84.0, 88.0, 85.0, 87.5, 84.5, 88.5, 85.5, 87.0]
        let (ran, decision) = Self.play(noisy, halfWidth: 0.5, maximum: 5)
        #expect(ran == 5)
        guard case .stopAtMaximum(let interval?) = decision else { Issue.record("expected a stop at the maximum, got \(decision)"); return }
        #expect(interval.halfWidth > 0.5)
        #expect(interval.count == 5)
    }

    @Test func oneSeedMaximumStopsWithoutAnInterval() {
        #expect(SeedStopping.decide(scores: [86.0], halfWidth: 0.5, maximum: 1) == .stopAtMaximum(nil))
    }

    @Test func tQuantilesAreTheTable() {
        #expect(SeedStopping.tQuantile(degreesOfFreedom: 1) == 12.706205)
        #expect(SeedStopping.tQuantile(degreesOfFreedom: 4) == 2.776445)
        #expect(SeedStopping.tQuantile(degreesOfFreedom: 99) == 1.984217)
        #expect(SeedStopping.maximumSeedsLimit == 100)
        // Decreasing towards the normal quantile 1.959964.
        #expect(zip(SeedStopping.tQuantiles, SeedStopping.tQuantiles.dropFirst()).allSatisfy { $0 > $1 && $1 > 1.959964 })
    }

    @Test func theVerdictIsMadeAgainstTheInterval() {
        let rule = SeedRule(halfWidth: 0.5, maximum: 10)
        let scores = [86.0, 86.4, 85.8, 86.1]  // 95% CI [85.68, 86.47]
        #expect(Verdict.retrain(measured: scores, published: 86.40, rule: rule) == .reproduces)
        // Within mean ± 2 std (the fixed-seeds rule) but outside the interval.
        #expect(Verdict.retrain(measured: scores, published: 86.55) == .reproduces)
        #expect(Verdict.retrain(measured: scores, published: 86.55, rule: rule) == .differs)
    }
}
