import ZooReport

extension Collector {
    /// One entry's verdict after a collect, judged over the plan's batch.
    public struct EntryVerdict: Encodable, Sendable, Equatable {
        public var entry: String
        /// The verdict's text, "nothing collected yet", or "failed: " and the first line of the failure.
        public var verdict: String
        /// From the typed verdict (false for a failed run); nil when nothing was judged.
        public var passes: Bool?
    }

    /// The verdict of each entry of the plan, in plan order, from the runs recorded under its batch.
    public static func verdicts(plan: TaskPlan, context: ZooContext) throws -> [EntryVerdict] {
        var verdicts: [EntryVerdict] = []
        var seen: Set<String> = []
        for task in plan.tasks where seen.insert(task.entry).inserted {
            let entry = try context.entry(named: task.entry)
            let report = try ReportBuilder.entry(entry, registry: context.registry, batch: plan.batch)
            let (verdict, passes) = ReportBuilder.verdict(report)
            switch report.state {
            case .notRun:
                verdicts.append(EntryVerdict(entry: task.entry, verdict: "nothing collected yet", passes: nil))
            case .failed(let message):
                verdicts.append(EntryVerdict(entry: task.entry, verdict: "failed: \(message.split(separator: "\n").first ?? "")", passes: false))
            default:
                verdicts.append(EntryVerdict(entry: task.entry, verdict: verdict, passes: passes))
            }
        }
        return verdicts
    }
}
