#!/bin/sh
# The embedding example in README.md (between the example-begin and
# example-end markers) compiles against the library and runs cleanly.
set -eu
build="${BUILD:-build}"
src="$build/readme_example.c"
sed -n '/<!-- example-begin -->/,/<!-- example-end -->/p' README.md | sed '/^<!--/d; /^```/d' >"$src"
[ -s "$src" ] || { echo "readme: no example between the markers"; exit 1; }
# shellcheck disable=SC2046
${CC:-cc} -std=c11 -Wall -Wextra -Werror -Iinclude "$src" -o "$build/readme_example" \
    "$build/libusher.a" $(pkg-config --libs libxxhash)
out=$("$build/readme_example")
echo "$out"
echo "$out" | grep -q "follow-up 42 due at 1800000" || { echo "readme: unexpected output"; exit 1; }
echo "readme: the README example compiles and runs ($(wc -l <"$src") lines)"
