#!/bin/sh
# The Python binding's unittest suite (bindings/python/tests), run against
# the shared library of $BUILD that `make check` has just built.
set -eu
build="${BUILD:-build}"
case "$build" in /*) ;; *) build="$(pwd)/$build" ;; esac
[ -e "$build/libusher.so" ] || { echo "python: $build/libusher.so is not built"; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "python: python3 not found"; exit 1; }
USHER_LIBRARY="$build/libusher.so" PYTHONDONTWRITEBYTECODE=1 \
    python3 -m unittest discover -s bindings/python/tests 2>&1
