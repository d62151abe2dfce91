// Stopping a training run at the next iteration boundary: how a Slurm task that is about to be preempted or to hit
// its time limit keeps its work.
//
// Slurm signals the job (`--signal=B:USR1@120` warns the batch shell, which forwards USR1 to skelzoo; preemption sends
// SIGTERM) and then kills it after a grace time. A signal handler may do almost nothing safely, so the one installed
// here only sets an atomic flag. The trainer reads the flag after each iteration; when it is set it writes latest.pth
// with everything the next iteration needs (weights, momentum, every rank's BN buffers, the iteration within the
// epoch and the epoch's running loss sums; the sampler order and dropout stream are functions of seed, epoch and
// iteration) and stops with ``RunnerError/Code/stopped``. Run again with resume, the run continues from that
// iteration and ends with the bits of an uninterrupted run.
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A flag asking a run to stop at its next iteration boundary.
public final class StopRequest: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    /// Asks the run to stop. Lock-free: safe from a signal handler.
    public func request() { flag.store(true, ordering: .relaxed) }

    public var isRequested: Bool { flag.load(ordering: .relaxed) }
}

/// Process-wide: signals that ask the current run to stop.
public enum StopSignals {
    /// The request the handlers set.
    public static let request = StopRequest()

    /// Installs handlers for `signals` (default SIGUSR1 and SIGTERM) that only set ``request``.
    public static func install(_ signals: [Int32] = [SIGUSR1, SIGTERM]) {
        _ = request.isRequested  // initialise the global before a handler can touch it
        for number in signals {
            // glibc's signal() keeps the handler installed and restarts interrupted system calls (BSD semantics).
            _ = signal(number) { _ in StopSignals.request.request() }
        }
    }
}
