import Foundation
import ZooConfig
import ZooHarness
import ZooRunner
import ZooTestSupport

/// A tiny zoo entry (synthetic data, seconds per run) and plans built from it in a fresh shared dir.
enum HarnessFixtures {
    /// Small enough for a debug build: 2 epochs over 24 clips.
    static let configText = TinyConfig.text(classes: 3, train: 24, val: 12, frames: 12, epochs: 2)

    static func entry(name: String = "tiny_demo", weights: String? = nil) throws -> ZooEntry {
        try zooFile(name: name, weights: weights).entries[0]
    }

    static func zooFile(name: String = "tiny_demo", weights: String? = nil) throws -> ZooFile {
        try ZooFile.parse(zooYAML(name: name, weights: weights), file: "tiny-zoo.yml", name: "tiny-zoo.yml")
    }

    /// The zoo file of one tiny entry (config `configs/tiny.yml`), with its checkpoint URL and reference run when given.
    static func zooYAML(name: String = "tiny_demo", weights: String? = nil, weightsPrefix: String? = nil,
                        reference: (seed: Int, sha: String, arithmetic: String)? = nil) -> String {
        var yaml = """
        Collections: [{Name: Tiny}]
        Models:
          - Name: \(name)
            Config: configs/tiny.yml
            In Collection: Tiny
            Metadata: {Keypoint: 2d}
            Results:
              - {Dataset: Synthetic, Task: Skeleton-based Action Recognition, Source: reference run, Metrics: {Top 1 Accuracy: "50.00"}}

        """
        if let weights { yaml += "    Weights: \(weights)\n" }
        if let weightsPrefix { yaml += "    Weights SHA256 Prefix: \"\(weightsPrefix)\"\n" }
        if let reference {
            yaml += "    Reference Run: {Seed: \(reference.seed), Weights SHA256: \(reference.sha), CPU: test, Arithmetic: \(reference.arithmetic), Threads: 1}\n"
        }
        return yaml
    }

    /// A prepared shared dir with a written plan of `seeds.count` train tasks.
    static func plan(seeds: [Int] = [0, 1], in dir: URL = Fixtures.temporaryDirectory("harness")) throws -> (plan: TaskPlan, url: URL) {
        let shared = dir.appending(path: "shared")
        let request = PlanBuilder.Request(entry: try entry(), mode: "train", configText: configText, configOrigin: "tiny.yml", seeds: seeds)
        let (plan, skipped) = try PlanBuilder.prepare([request], sharedDir: shared,
                                                      sources: .init(dataRoot: dir.appending(path: "home"), checkpoints: dir.appending(path: "home/checkpoints")),
                                                      batch: UUID().uuidString, threads: 1, backend: nil, isa: nil, codeVersion: "test")
        precondition(skipped.isEmpty)
        let url = TaskPlan.url(in: shared)
        try plan.write(to: url)
        return (plan, url)
    }
}
