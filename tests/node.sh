#!/bin/sh
# The Node.js binding (bindings/node): its `node --test` suite,
# examples/node/hello.js (whose output must equal examples/hello.c's) and
# the README's Node.js block, against the shared library of $BUILD.
# Skipped, with a clear line and exit status 0, when node is not installed.
# `npm ci` runs only when node_modules is missing or was installed from
# another package-lock.json (a stamp in node_modules records the lock).
set -eu
if ! command -v node >/dev/null 2>&1; then
    echo "node not found: Node binding tests SKIPPED"
    exit 0
fi
root=$(pwd)
build="${BUILD:-build}"
case "$build" in
/*) ;;
*) build="$root/$build" ;;
esac
export USHER_LIBRARY="$build/libusher.so"
[ -e "$USHER_LIBRARY" ] || { echo "node: $USHER_LIBRARY missing (run make first)"; exit 1; }
echo "node $(node --version), library $USHER_LIBRARY"

cd "$root/bindings/node"
stamp=node_modules/.usher-installed-lock
if ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
    # --ignore-scripts: koffi ships prebuilt binaries, its install script only picks one.
    npm ci --ignore-scripts --no-audit --no-fund
    cp package-lock.json "$stamp"
fi
node --test --test-reporter=spec test/*.test.js

cd "$root"
expected="$build/examples/hello"
[ -x "$expected" ] || { echo "node: $expected missing (make check builds it)"; exit 1; }
node examples/node/hello.js >"$build/hello-node.out"
"$expected" >"$build/hello-c.out"
if ! diff "$build/hello-c.out" "$build/hello-node.out"; then
    echo "node: examples/node/hello.js does not print what examples/hello.c prints"
    exit 1
fi
echo "node: examples/node/hello.js prints what examples/hello.c prints ($(wc -l <"$build/hello-node.out") lines)"

# The README's Node.js block runs (from the checkout root, as it requires
# ./bindings/node) and prints what its comment says.
snippet="$build/readme-node.js"
sed -n '/^## Node.js/,/^## Documentation/p' README.md | sed -n '/^```js/,/^```$/p' | sed '/^```/d' >"$snippet"
[ -s "$snippet" ] || { echo "node: no js block under '## Node.js' in README.md"; exit 1; }
out=$(node - <"$snippet")
echo "$out"
[ "$out" = "TIMER 42n 1800000n" ] || { echo "node: the README's Node.js example printed something else"; exit 1; }
echo "node: the README's Node.js example runs"
