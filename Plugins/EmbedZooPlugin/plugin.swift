// Embeds the repository's zoo/ and configs/ YAML files into the target that uses this plugin,
// as `EmbeddedZoo.files`, so `skelzoo` finds its default zoo from any working directory.
import Foundation
import PackagePlugin

@main
struct EmbedZooPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        // The tool walks the folders itself; the folders are inputs too, so adding a file re-runs it.
        var inputs: [URL] = []
        for folder in ["zoo", "configs"] {
            let base = root.appending(path: folder)
            inputs.append(base)
            guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walker {
                inputs.append(url)
            }
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedZoo.swift")
        return [.buildCommand(
            displayName: "Embedding zoo/ and configs/",
            executable: try context.tool(named: "zoo-embed").url,
            arguments: [root.path, output.path],
            inputFiles: inputs,
            outputFiles: [output]
        )]
    }
}
