#!/bin/sh
# usher-bench (built by `make check`): a tiny run of each scenario prints one
# JSON object per line with the keys issue 6 names, and a bad command line
# (unknown subcommand or flag, non-numeric or out-of-range size) gets the
# usage message and exit status 2. About a second.
set -eu
bench="${BUILD:-build}/bench/usher-bench"
fail() { echo "bench: $*"; exit 1; }
[ -x "$bench" ] || fail "$bench is not built"

has_keys() { # name, the JSON line, keys...
    name=$1 line=$2
    shift 2
    [ "$(printf '%s\n' "$line" | wc -l)" -eq 1 ] || fail "$name: not one line: $line"
    case "$line" in "{\"scenario\":\"$name\","*"}") ;; *) fail "$name: not a JSON object: $line" ;; esac
    for key in "$@"; do
        case "$line" in *"\"$key\":"*) ;; *) fail "$name: no \"$key\" in $line" ;; esac
    done
}

small="--agents 200 --sets 20 --baseline-tickets 200 --json"
out=$("$bench" routing $small --backlog 500 --tickets 1000)
has_keys routing "$out" tickets_per_sec decision_ns_p50 decision_ns_p99 decision_ns_max \
    bytes_per_ticket bytes_per_agent peak_rss_bytes baseline_tickets_per_sec speedup
all="$out"
out=$("$bench" backlog $small --backlog 2000 --tickets 1000)
has_keys backlog "$out" decision_ns_p50 decision_ns_p99 baseline_decision_ns_p50 speedup
all="$all
$out"
out=$("$bench" timers --live 1000 --ops 10000 --json)
has_keys timers "$out" live schedule_ns cancel_ns expire_ns mixed_ns baseline_mixed_ns speedup
all="$all
$out"
out=$("$bench" sla --tickets 300 --json)
has_keys sla "$out" ops_per_sec bytes_per_ticket baseline_ops_per_sec speedup
all="$all
$out"
out=$("$bench" snapshot --agents 100 --sets 10 --tickets 300 --json)
has_keys snapshot "$out" snapshot_bytes bytes_per_agent bytes_per_ticket snapshot_ms restore_ms
all="$all
$out"
if command -v python3 >/dev/null 2>&1; then
    printf '%s\n' "$all" | python3 -c 'import json, sys; [json.loads(l) for l in sys.stdin]' ||
        fail "a line is not valid JSON"
fi

for args in "bogus" "routing --bogus 1" "routing --agents x" "routing --agents 12k" \
    "routing --agents 0" "routing --agents 1000001" "routing --seed 18446744073709551616" \
    "routing --agents" "timers --agents 10" "sla --tickets -5" "backlog extra" "--json=1"; do
    status=0
    # shellcheck disable=SC2086
    "$bench" $args >/dev/null 2>&1 || status=$?
    [ "$status" -eq 2 ] || fail "'usher-bench $args' exited with $status, not 2"
done
"$bench" --help | grep -q '^usage: usher-bench' || fail "--help prints no usage"
echo "bench: 5 scenarios print their JSON keys; 12 bad command lines exit 2"
