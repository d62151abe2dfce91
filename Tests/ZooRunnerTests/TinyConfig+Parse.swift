import ZooConfig
import ZooTestSupport

extension TinyConfig {
    static func config(_ text: String = text()) throws -> ExperimentConfig {
        try ExperimentConfig.parse(text, file: "tiny.yml")
    }
}
