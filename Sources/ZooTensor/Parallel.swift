// Deterministic parallel loops. Work is split into items whose results do not depend on which
// thread runs them; reductions happen afterwards, in item order, by the caller.
import Dispatch

public enum Parallel {
    /// Runs `body(worker, item)` for every item in 0..<count on up to `threads` threads. Worker w takes items
    /// w, w + threads, ... so per-worker scratch memory can be reused; results must not depend on `worker`.
    public static func forEach(_ count: Int, threads: Int, _ body: (_ worker: Int, _ item: Int) -> Void) {
        let workers = max(1, min(threads, count))
        if workers == 1 {
            for item in 0..<count { body(0, item) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var item = worker
                while item < count {
                    box.value(worker, item)
                    item += workers
                }
            }
        }
    }

    /// Like ``forEach(_:threads:_:)`` but each worker first builds its scratch state with `makeScratch`.
    public static func forEach<Scratch>(_ count: Int, threads: Int, scratch makeScratch: () -> Scratch,
                                        _ body: (_ scratch: inout Scratch, _ item: Int) -> Void) {
        let workers = max(1, min(threads, count))
        if workers == 1 {
            var scratch = makeScratch()
            for item in 0..<count { body(&scratch, item) }
            return
        }
        withoutActuallyEscaping(makeScratch) { makeScratch in
            withoutActuallyEscaping(body) { body in
                let make = UncheckedBox(makeScratch), run = UncheckedBox(body)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    var scratch = make.value()
                    var item = worker
                    while item < count {
                        run.value(&scratch, item)
                        item += workers
                    }
                }
            }
        }
    }
}

/// Carries a closure into `concurrentPerform`. Safe here because the loop joins before returning and each
/// item writes only its own part of the output (the callers' contract).
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

extension Parallel {
    /// Runs `body` over `count` elements split into fixed chunks (elementwise work: any split gives the same bits).
    public static func chunks(_ count: Int, threads: Int, chunk: Int = 1 << 16, _ body: (Range<Int>) -> Void) {
        let pieces = (count + chunk - 1) / chunk
        forEach(pieces, threads: threads) { _, piece in
            body(piece * chunk..<min(count, (piece + 1) * chunk))
        }
    }
}
