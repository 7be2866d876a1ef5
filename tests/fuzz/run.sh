#!/bin/sh
# Runs each libFuzzer target for a while (make fuzz): seeds from the
# committed corpus and regressions, new inputs kept in the build folder.
#
#   tests/fuzz/run.sh BUILD_FUZZ_DIR SECONDS TARGET...
#
# Fails if a target finds a crash, a leak or a failed usher_check(); the
# input that did it is left as BUILD_FUZZ_DIR/crash-TARGET-*. Copy it to
# tests/fuzz/regressions/TARGET/ once fixed: make check replays it.
set -u
dir=$1
seconds=$2
shift 2
here=$(dirname "$0")
status=0
for target in "$@"; do
    corpus="$dir/corpus-$target"
    mkdir -p "$corpus"
    log="$dir/fuzz-$target.log"
    echo "== fuzz $target for ${seconds}s"
    seeds="$here/corpus/$target"
    [ -d "$here/regressions/$target" ] && seeds="$seeds $here/regressions/$target"
    # shellcheck disable=SC2086 # seeds is a list of folders without spaces
    "$dir/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$dir/crash-$target-" -timeout=20 "$corpus" $seeds >"$log" 2>&1
    result=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
    echo "fuzz $target: ${runs:-?} runs in ${took:-?} s ($(( ${runs:-0} / ${took:-1} )) per second)," \
        "corpus $(ls "$corpus" | wc -l) inputs"
    if [ "$result" -ne 0 ]; then
        tail -n 40 "$log"
        echo "fuzz $target: FAILED (see $log and $dir/crash-$target-*)"
        status=1
    fi
done
exit $status
