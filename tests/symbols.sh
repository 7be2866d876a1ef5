#!/bin/sh
# The shared library exports exactly the functions include/usher.h declares:
# no internal symbol leaks out, and no declared function is missing.
set -eu
lib="${BUILD:-build}/libusher.so"
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort)
declared=$(sed -n 's/^USHER_API .*[ *]\(usher_[a-z0-9_]*\)(.*/\1/p' include/usher.h | sort)

stray=$(echo "$exported" | grep -v '^usher_' || true)
if [ -n "$stray" ]; then
    echo "symbols: exported but not usher_*:"; echo "$stray"; exit 1
fi
if [ "$exported" != "$declared" ]; then
    echo "symbols: exported and declared differ (< exported, > declared):"
    echo "$exported" >/tmp/usher-exported.$$; echo "$declared" >/tmp/usher-declared.$$
    diff /tmp/usher-exported.$$ /tmp/usher-declared.$$ || true
    rm -f /tmp/usher-exported.$$ /tmp/usher-declared.$$
    exit 1
fi
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
major=$(sed -n 's/^#define USHER_VERSION_MAJOR \([0-9]*\)/\1/p' include/usher.h)
if [ "$soname" != "libusher.so.$major" ]; then
    echo "symbols: SONAME is '$soname', expected libusher.so.$major"; exit 1
fi
echo "symbols: $(echo "$exported" | wc -l) exported, all usher_* and all declared; SONAME $soname"
