import Foundation
import Testing
import ZooTensor

/// Deterministic parallel loops: every item runs exactly once, on the worker the contract names, whatever the thread
/// count; so per-item results reduced in item order give the same bits with 1 or many threads.
@Suite struct ParallelTests {
    /// Per-item slots written from worker threads; each item writes only its own slot (the callers' contract).
    final class Slots: @unchecked Sendable {
        let values: UnsafeMutableBufferPointer<Int>
        init(_ count: Int) {
            values = .allocate(capacity: max(count, 1))
            values.initialize(repeating: 0)
        }
        deinit { values.deallocate() }
        var array: [Int] { Array(values) }
    }

    @Test(arguments: [1, 2, 3, 8]) func everyItemRunsOnceOnItsWorker(_ threads: Int) {
        for count in [0, 1, 2, 5, 100] {
            let visits = Slots(count), workers = Slots(count)
            Parallel.forEach(count, threads: threads) { worker, item in
                visits.values[item] += 1
                workers.values[item] = worker
            }
            #expect(visits.array.prefix(count).allSatisfy { $0 == 1 }, "count \(count)")
            // Worker w takes items w, w + workers, ... with workers = min(threads, count).
            let used = max(1, min(threads, count))
            #expect((0..<count).allSatisfy { workers.values[$0] == $0 % used }, "count \(count)")
        }
    }

    @Test(arguments: [1, 2, 4]) func scratchIsBuiltOncePerWorkerAndReused(_ threads: Int) {
        let count = 37
        let made = NSLock()
        var scratchCount = 0
        let seen = Slots(count)
        Parallel.forEach(count, threads: threads, scratch: { () -> [Int] in
            made.lock(); scratchCount += 1; made.unlock()
            return []
        }) { scratch, item in
            scratch.append(item)
            // The scratch holds exactly this worker's earlier items: w, w + workers, ...
            seen.values[item] = scratch.count
        }
        let workers = min(threads, count)
        #expect(scratchCount == workers)
        #expect((0..<count).allSatisfy { seen.values[$0] == $0 / workers + 1 })
    }

    @Test func chunksCoverTheRangeOnceInFixedPieces() {
        for (count, chunk) in [(0, 4), (1, 4), (10, 4), (12, 4), (100_000, 1 << 16)] {
            let visits = Slots(count)
            let starts = Slots((count + chunk - 1) / chunk)
            Parallel.chunks(count, threads: 3, chunk: chunk) { range in
                #expect(range.lowerBound % chunk == 0 && range.count <= chunk && !range.isEmpty)
                starts.values[range.lowerBound / chunk] += 1
                for index in range { visits.values[index] += 1 }
            }
            #expect(visits.array.prefix(count).allSatisfy { $0 == 1 }, "\(count) by \(chunk)")
        }
    }

    @Test func itemResultsReducedInOrderGiveTheSameBitsForAnyThreadCount() {
        let rng = CounterRNG(seed: 5, stream: 0)
        let values = (0..<4096).map { Float(rng.normal(UInt64($0))) }
        func sum(threads: Int) -> Float {
            let partial = UnsafeMutableBufferPointer<Float>.allocate(capacity: 64)
            defer { partial.deallocate() }
            Parallel.forEach(64, threads: threads) { _, item in
                var total: Float = 0
                for index in item * 64..<(item + 1) * 64 { total += values[index] }
                partial[item] = total
            }
            return partial.reduce(0, +)
        }
        let one = sum(threads: 1)
        #expect([2, 3, 7, 64].allSatisfy { sum(threads: $0).bitPattern == one.bitPattern })
    }
}
