import Foundation
import Testing
@testable import ZooRunner

/// `skelzoo bench --json` is read by bench/torch_ratios.py (`make bench-torch`): these are the keys it reads.
@Suite struct ThroughputJSONTests {
    @Test func benchJSONCarriesTheFieldsTheTorchComparisonReads() throws {
        let result = Throughput.Result(mode: "train", threads: 2, batchSize: 16, frames: 100, samplesPerSecond: 5.5, bestStepSamplesPerSecond: 6,
                                       gflopPerSecond: 40, sgemmGflopPerSecond: 80, peakRSSMegabytes: 900, iterations: 3, seconds: 8,
                                       arithmetic: "portable-1", kernel: "avx512")
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(result)) as? [String: Any])
        #expect(object["samples_per_s"] as? Double == 5.5)
        #expect(object["best_step_samples_per_s"] as? Double == 6)
        #expect(object["peak_rss_mb"] as? Double == 900)
        #expect(object["gflop_per_s"] as? Double == 40)
        #expect(object["sgemm_gflop_per_s"] as? Double == 80)
        #expect(object["arithmetic"] as? String == "portable-1")
        #expect(object["kernel"] as? String == "avx512")
    }
}
