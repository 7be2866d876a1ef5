#!/bin/sh
# Replays the committed fuzz corpus and every regression input through the
# fuzz targets built as plain programs, with and without ASan+UBSan: an
# input that once crashed (tests/fuzz/regressions) must stay harmless.
set -eu
build="${BUILD:-build}"
for target in ops tzif restore; do
    set -- tests/fuzz/corpus/$target
    [ -d tests/fuzz/regressions/$target ] && set -- "$@" tests/fuzz/regressions/$target
    for program in "$build/fuzz-replay/$target" "$build/san/fuzz-replay/$target"; do
        "$program" "$@"
    done
done
