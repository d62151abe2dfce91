// Embeds the repository's zoo/ and configs/ YAML files into the target that uses this plugin,
// as `EmbeddedZoo.files`, so `skelzoo` finds its default zoo from any working directory.
import Foundation
import PackagePlugin

@main
struct EmbedZooPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        var inputs: [URL] = []
        for folder in ["zoo", "configs"] {
            let base = root.appending(path: folder)
            guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walker where url.pathExtension == "yml" {
                inputs.append(url)
            }
        }
        inputs.sort { $0.path < $1.path }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedZoo.swift")
        return [.buildCommand(
            displayName: "Embedding \(inputs.count) zoo and config files",
            executable: try context.tool(named: "zoo-embed").url,
            arguments: [root.path, output.path] + inputs.map(\.path),
            inputFiles: inputs,
            outputFiles: [output]
        )]
    }
}
