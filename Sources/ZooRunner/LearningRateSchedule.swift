// The learning rate of every iteration of a run, for both releases' schedules:
// - MMAction2 0.x: mmcv `StepLrUpdaterHook(by_epoch=True)`, constant within an epoch (``StepSchedule``);
// - MMAction2 1.x: mmengine `CosineAnnealingLR` (`mmengine/optim/scheduler/param_scheduler.py`,
//   `CosineAnnealingParamScheduler`), in its chainable form, as mmengine computes it step by step in Python floats:
//       lr_0 = base
//       lr_t = lr_{t-1} + (base - eta_min)(1 - cos(pi / T)) / 2                 when (t - 1 - T) % 2T == 0
//       lr_t = (1 + cos(pi t / T)) / (1 + cos(pi (t - 1) / T)) * (lr_{t-1} - eta_min) + eta_min   otherwise
//   With `by_epoch` and `convert_to_iter_based` (every 1.x skeleton config), `build_iter_from_epoch` makes T = T_max x
//   iterations per epoch and t the iteration; with `by_epoch` alone t is the epoch; without `by_epoch` T_max is in
//   iterations already. The scheduler steps after each iteration, so iteration i trains with lr_i.
// cos is SkelZoo's portable cosine (Python's is the platform libm's), so the values can differ from mmengine's in the
// last bit; the test pins them against torch's CosineAnnealingLR within 1e-15 relative.
import ZooConfig
import ZooTensor

public enum LearningRateSchedule: Sendable, Equatable {
    /// mmcv's step policy by epoch.
    case step(StepSchedule)
    /// mmengine's `CosineAnnealingLR` (see the file comment).
    case cosine(etaMin: Double, tMax: Int, byEpoch: Bool, convertToIterBased: Bool)

    /// The learning rate of each iteration of a run of `epochs` epochs of `iterationsPerEpoch` iterations (index: the
    /// 0-based global iteration).
    public func rates(base: Double, epochs: Int, iterationsPerEpoch: Int) -> [Double] {
        let count = epochs * iterationsPerEpoch
        switch self {
        case .step(let schedule):
            return (0..<count).map { schedule.learningRate(base: base, epoch: $0 / iterationsPerEpoch) }
        case .cosine(let etaMin, let tMax, let byEpoch, let convert):
            if byEpoch && !convert {
                let perEpoch = Self.cosine(base: base, etaMin: etaMin, period: tMax, steps: epochs)
                return (0..<count).map { perEpoch[$0 / iterationsPerEpoch] }
            }
            return Self.cosine(base: base, etaMin: etaMin, period: byEpoch ? tMax * iterationsPerEpoch : tMax, steps: count)
        }
    }

    /// `CosineAnnealingParamScheduler._get_value` for steps 0..<steps, each from the one before.
    static func cosine(base: Double, etaMin: Double, period: Int, steps: Int) -> [Double] {
        var values: [Double] = []
        values.reserveCapacity(steps)
        let t = Double(period)
        var lr = base
        for step in 0..<steps {
            if step > 0 {
                if (step - 1 - period) % (2 * period) == 0 {
                    lr = lr + (base - etaMin) * (1 - PortableMath.cos(Double.pi / t)) / 2
                } else {
                    lr = (1 + PortableMath.cos(Double.pi * Double(step) / t)) / (1 + PortableMath.cos(Double.pi * Double(step - 1) / t))
                        * (lr - etaMin) + etaMin
                }
            }
            values.append(lr)
        }
        return values
    }
}
