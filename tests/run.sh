#!/bin/sh
# Runs every test given on the command line, then the script tests, and ends
# with one summary line "check: N passed, M failed".
#
#   build/tests/*, build/san/tests/*   cmocka suites: their own counts are summed
#   build/examples/*                   run under valgrind: 0 errors, 0 leaks
#                                      (no arguments, standard input empty)
#   tests/*.sh                         one check each: pass on exit status 0
#
# Environment: CC, BUILD, VALGRIND (from the Makefile); TEST_TIMEOUT, the
# seconds one suite may run before it counts as hung and failed (cmocka has
# no timeout of its own).
set -u
limit="timeout ${TEST_TIMEOUT:-300}"
passed=0
failed=0
failures=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT

record() { # name, exit status
    if [ "$2" -eq 0 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures="$failures $1"
    fi
}

run_suite() {
    $limit "$1" >"$log" 2>&1
    status=$?
    cat "$log"
    ok=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log")
    bad=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log")
    passed=$((passed + ${ok:-0}))
    failed=$((failed + ${bad:-0}))
    if [ "$status" -ne 0 ] && [ -z "$bad" ]; then # crashed before cmocka's summary
        failed=$((failed + 1))
    fi
    [ "$status" -eq 0 ] || failures="$failures $1"
}

run_example() {
    echo "== $1 under valgrind"
    $limit ${VALGRIND:-valgrind} -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
        --error-exitcode=99 "$1" </dev/null >"$log" 2>&1
    status=$?
    tail -n 5 "$log"
    record "$1" "$status"
}

for t in "$@"; do
    case "$t" in
    */examples/*) run_example "$t" ;;
    *) echo "== $t"; run_suite "$t" ;;
    esac
done

for script in "$(dirname "$0")"/*.sh; do
    [ "$(basename "$script")" = run.sh ] && continue
    echo "== $script"
    sh "$script"
    record "$script" $?
done

[ -n "$failures" ] && echo "failed:$failures"
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
