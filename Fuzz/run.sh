#!/bin/sh
# Runs each fuzz target for FUZZ_SECONDS (default 60) with AddressSanitizer and LeakSanitizer, from the repository
# root: `make fuzz` (or `FUZZ_SECONDS=600 make fuzz`, `FUZZ_TARGETS="ZipFuzzer" make fuzz`).
# Per target: the corpus lives in .build/fuzz-corpus/<target> (kept between runs, seeded from ../shared/fixtures
# and the committed regression inputs Tests/*/Fuzz/<target>/), findings go to .build/fuzz-findings/<target>/ and the
# full libFuzzer log to .build/fuzz-findings/<target>.log. Prints libFuzzer's summary per target; exits 1 on any
# finding (crash, leak, timeout, out-of-memory), after running every target.
set -u
# Swift's own crash backtracer would run inside AddressSanitizer's report and garble it.
export SWIFT_BACKTRACE=enable=no
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-"PickleFuzzer ZipFuzzer AnnotationFuzzer ConfigFuzzer"}
fixtures=../shared/fixtures
bin=Fuzz/.build/release
status=0
for target in $targets; do
    corpus=.build/fuzz-corpus/$target findings=.build/fuzz-findings/$target log=.build/fuzz-findings/$target.log
    mkdir -p "$corpus" "$findings"
    "$bin/$target" --write-seeds "$fixtures" "$corpus" || exit 1
    for input in Tests/*/Fuzz/"$target"/*; do [ -f "$input" ] && cp "$input" "$corpus/"; done
    echo "== $target: ${seconds}s, corpus $corpus ($(ls "$corpus" | wc -l) inputs)"
    "$bin/$target" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" > "$log" 2>&1
    rc=$?
    grep -E '^#[0-9]+.*(INITED|DONE)' "$log" | tail -2
    grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units|stat::peak_rss_mb)' "$log"
    if [ $rc -ne 0 ]; then
        status=1
        grep -E 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|^SUMMARY|Fatal error|Test unit written to' "$log" | head -5
        echo "== $target: FINDING (exit $rc); log $log"
    else
        echo "== $target: clean"
    fi
done
exit $status
