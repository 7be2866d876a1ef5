#!/bin/sh
# examples/helpdesk_host, run under valgrind (no error, no leak):
#  - the bundled morning, examples/data/helpdesk.txt, prints exactly
#    examples/data/helpdesk.expected, nothing on stderr, exit status 0, and
#    the same when read from standard input;
#  - malformed lines and lines usher refuses are reported on stderr as
#    FILE:LINE: message and skipped, while the good lines around them still
#    take effect; exit status 1;
#  - usage errors and an unreadable file exit with 2.
# About three seconds.
set -eu
build="${BUILD:-build}"
bin="$build/examples/helpdesk_host"
fail() { echo "helpdesk_host: $*"; exit 1; }
[ -x "$bin" ] || fail "$bin is not built"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Runs the host under valgrind: stdout to $tmp/out, its stderr to $tmp/err,
# valgrind's report to $tmp/vg; sets $status to the host's exit status.
checked() {
    status=0
    ${VALGRIND:-valgrind} -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
        --error-exitcode=99 --log-file="$tmp/vg" "$bin" "$@" >"$tmp/out" 2>"$tmp/err" || status=$?
    if [ "$status" -eq 99 ] || [ -s "$tmp/vg" ]; then
        cat "$tmp/vg"
        fail "valgrind found errors or leaks (helpdesk_host $*)"
    fi
}

# 1. The sample.
checked examples/data/helpdesk.txt
[ "$status" -eq 0 ] || { cat "$tmp/err"; fail "the sample exited with $status, not 0"; }
[ ! -s "$tmp/err" ] || { cat "$tmp/err"; fail "the sample wrote to stderr"; }
diff -u examples/data/helpdesk.expected "$tmp/out" ||
    fail "the sample's output differs from examples/data/helpdesk.expected (+ is now)"
"$bin" <examples/data/helpdesk.txt >"$tmp/stdin-out"
cmp -s "$tmp/out" "$tmp/stdin-out" || fail "standard input gives another output than the file"

# 2. Malformed input: one bad line of each kind between good ones. The last
# lines hold a 2000-byte line, a NUL byte, a CRLF ending (fine), too many
# words, and a last line without its newline (fine).
{
    cat <<'EOF'
# good lines between bad ones keep working
2026-11-02T08:00:00Z login amy english:7
2026-11-02 08:00:01 login bea
2026-02-30T08:00:00Z tick
2026-11-02T08:00:02Z
2026-11-02T08:00:03Z dance amy
2026-11-02T08:00:04Z logout
2026-11-02T08:00:05Z login al!ce
2026-11-02T08:00:06Z logout zed
2026-11-02T08:00:07Z login bea english:11
2026-11-02T08:00:08Z login bea english:x
2026-11-02T08:00:09Z login bea english english:3
2026-11-02T08:00:10Z reply 12a
2026-11-02T08:00:11Z reply 0
2026-11-02T08:00:12Z reply 18446744073709551616
2026-11-02T08:00:13Z ticket 7 sales email normal
2026-11-02T08:00:14Z ticket 7 support fax normal
2026-11-02T08:00:15Z ticket 7 support email asap
2026-11-02T08:00:16Z away amy nap
2026-11-02T08:00:20Z ticket 7 support email normal english
2026-11-02T08:00:17Z reply 7
2026-11-02T08:00:21Z ticket 7 support email normal
2026-11-02T08:00:22Z reply 8
2026-11-02T08:00:23Z login amy
2026-11-02T08:00:24Z back amy
2026-11-02T08:00:25Z abandon 7
2026-11-02T08:00:26Z accept amy 7
2026-11-02T08:00:27Z pending 7
2026-11-02T08:00:28Z pending 7
2026-11-02T08:00:29Z solved 7
2026-11-02T08:00:30Z solved 7
2026-11-02T08:00:31Z login bea english
2026-11-02T08:00:32Z ticket 9 chat chat normal
2026-11-02T08:00:33Z accept bea 9
2026-11-02T08:00:34Z decline amy 9
2026-11-02T08:00:35Z accept bea 9
EOF
    printf '2026-11-02T08:00:36Z tick %02000d\n' 0
    printf '2026-11-02T08:00:37Z tick\000 x\n'
    printf '2026-11-02T08:00:38Z tick\r\n'
    printf '2026-11-02T08:00:39Z ticket 8 support email normal'
    printf ' s%d' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 \
        31 32 33 34 35 36 37 38
    printf '\n2026-11-02T08:00:40Z logout amy'
} >"$tmp/bad.txt"
cat >"$tmp/bad.expected" <<'EOF'
<stdin>:3: bad time '2026-11-02': not a valid YYYY-MM-DDTHH:MM:SSZ
<stdin>:4: bad time '2026-02-30T08:00:00Z': not a valid YYYY-MM-DDTHH:MM:SSZ
<stdin>:5: a time but no event
<stdin>:6: unknown event 'dance'
<stdin>:7: usage: TIME logout AGENT
<stdin>:8: bad agent name 'al!ce': 1 to 31 of A-Z a-z 0-9 . _ -
<stdin>:9: unknown agent 'zed': not logged in yet
<stdin>:10: bad level in 'english:11': 1 to 10
<stdin>:11: bad level in 'english:x': 1 to 10
<stdin>:12: skill 'english' given twice
<stdin>:13: bad ticket number '12a'
<stdin>:14: bad ticket number '0'
<stdin>:15: bad ticket number '18446744073709551616'
<stdin>:16: unknown queue 'sales': support, billing or chat
<stdin>:17: unknown channel 'fax': email or chat
<stdin>:18: unknown priority 'asap': low, normal, high or urgent
<stdin>:19: unknown reason 'nap': break, lunch, meeting or training
<stdin>:21: time goes back: 2026-11-02T08:00:17Z is before the previous line's 2026-11-02T08:00:20Z
<stdin>:22: ticket 7: object already exists (USHER_EEXIST)
<stdin>:23: reply 8: no such object (USHER_ENOTFOUND)
<stdin>:24: amy is logged in already
<stdin>:25: amy is not away
<stdin>:26: abandon 7: an agent has the ticket; it ends with 'solved'
<stdin>:27: accept 7: the ticket is not on offer
<stdin>:29: pending 7: the ticket is pending already
<stdin>:31: solved 7: no such object (USHER_ENOTFOUND)
<stdin>:34: accept 9: offered to amy, not to bea
<stdin>:37: line longer than 1023 bytes
<stdin>:38: control character in line
<stdin>:40: too many words: at most 42
EOF
checked - <"$tmp/bad.txt"
[ "$status" -eq 1 ] || { cat "$tmp/err"; fail "malformed input exited with $status, not 1"; }
diff -u "$tmp/bad.expected" "$tmp/err" || fail "the errors on stderr differ (+ is now)"
for line in '08:00:20  ticket 7 -> amy (email, waited 0 s)' \
    '08:00:29  ticket 7 closed by amy, 9 s after assignment' \
    '08:00:34  amy declined ticket 9' '08:00:35  ticket 9 -> bea (chat, waited 3 s)' \
    '08:00:40  amy logged out' '== 41 lines, 30 bad =='; do
    grep -qxF "$line" "$tmp/out" || { cat "$tmp/out"; fail "no line '$line' in the output"; }
done

# 3. The command line.
status=0
"$bin" "$tmp/no-such-file" >/dev/null 2>"$tmp/err" || status=$?
[ "$status" -eq 2 ] || fail "a missing file exited with $status, not 2"
grep -q 'no-such-file' "$tmp/err" || fail "a missing file is not named on stderr"
status=0
"$bin" a b >/dev/null 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "two arguments exited with $status, not 2"
"$bin" --help | grep -q '^usage: helpdesk_host' || fail "--help prints no usage"
echo "helpdesk_host: the sample gives the expected output; 30 bad lines reported and skipped;" \
    "no valgrind error"
