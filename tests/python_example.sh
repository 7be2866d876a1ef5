#!/bin/sh
# examples/python/hello.py, run against $BUILD's shared library, prints
# exactly what its C twin examples/hello.c prints; the Python block of
# README.md runs and prints its reminder.
set -eu
build="${BUILD:-build}"
case "$build" in /*) ;; *) build="$(pwd)/$build" ;; esac
fail() { echo "python example: $*"; exit 1; }
[ -x "$build/examples/hello" ] || fail "$build/examples/hello is not built"
command -v python3 >/dev/null 2>&1 || fail "python3 not found"
py=$(USHER_LIBRARY="$build/libusher.so" PYTHONPATH=bindings/python PYTHONDONTWRITEBYTECODE=1 \
    python3 examples/python/hello.py) || fail "hello.py failed"
c=$("$build/examples/hello")
echo "$py"
echo "$py" | grep -qx "event 2: timer 2 due at 90000 ms" || fail "no second timer event"
[ "$py" = "$c" ] || fail "hello.py and examples/hello.c print different lines"
echo "python example: hello.py prints the same $(echo "$py" | wc -l) lines as examples/hello.c"

# The Python block of README.md (between the python-example markers) runs.
block=$(sed -n '/<!-- python-example-begin -->/,/<!-- python-example-end -->/p' README.md |
    sed '/^<!--/d; /^```/d')
[ -n "$block" ] || fail "no Python example between the README markers"
out=$(echo "$block" | USHER_LIBRARY="$build/libusher.so" PYTHONPATH=bindings/python \
    PYTHONDONTWRITEBYTECODE=1 python3 -) || fail "the README's Python example failed"
[ "$out" = "follow-up 42 due at 1800000" ] || fail "the README's Python example printed: $out"
echo "python example: the README's Python block prints: $out"
