#!/bin/sh
# docs/usher.3 renders without a groff warning, names every function that
# include/usher.h declares, and its EXAMPLES program compiles against the
# library and prints what the page says.
set -eu
build="${BUILD:-build}"
page=docs/usher.3
fail() { echo "manpage: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

groff -man -ww -z "$page" 2>"$tmp/warnings" || fail "groff failed on $page"
[ ! -s "$tmp/warnings" ] || { cat "$tmp/warnings"; fail "groff warns about $page"; }

declared=$(sed -n 's/^USHER_API .*[ *]\(usher_[a-z0-9_]*\)(.*/\1/p' include/usher.h)
missing=""
for fn in $declared; do
    grep -q "\\b$fn\\b" "$page" || missing="$missing $fn"
done
[ -z "$missing" ] || fail "not named in $page:$missing"

# The program between .nf and .fi in EXAMPLES, with roff's \- and \e undone.
sed -n '/^\.SH EXAMPLES/,/^\.fi/p' "$page" | sed '1,/^\.nf/d; /^\.fi/d' |
    sed 's/\\-/-/g; s/\\e/\\/g' >"$tmp/example.c"
[ -s "$tmp/example.c" ] || fail "no program in the EXAMPLES section"
# shellcheck disable=SC2046 # pkg-config's output is a list of flags
${CC:-cc} -std=c11 -Wall -Wextra -Werror -Iinclude "$tmp/example.c" -o "$tmp/example" \
    "$build/libusher.a" $(pkg-config --libs libxxhash)
out=$("$tmp/example")
[ "$out" = "timer 42 due at 1800000" ] || fail "the example printed '$out'"
grep -q '^\.IR "timer 42 due at 1800000"' "$page" || fail "the page does not show that output"
echo "manpage: renders cleanly, names all $(echo "$declared" | wc -l) functions;" \
    "its example compiles and prints what it says"
