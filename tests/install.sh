#!/bin/sh
# `make install` into a temporary DESTDIR, then builds a program against the
# installed copy through pkg-config, shared and fully static (-static with
# `pkg-config --static`, which must bring xxhash through Requires.private),
# runs both, checks the man page is installed, and that `make uninstall`
# removes every installed file.
set -eu
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
prefix=/opt/usher-test
make_quiet() { ${MAKE:-make} --no-print-directory -s BUILD="${BUILD:-build}" CC="${CC:-cc}" "$@"; }

make_quiet install DESTDIR="$dest" PREFIX="$prefix" >/dev/null
libdir="$dest$prefix/lib"
for f in include/usher.h lib/libusher.a lib/libusher.so lib/libusher.so.0 lib/pkgconfig/usher.pc \
    share/man/man3/usher.3; do
    [ -e "$dest$prefix/$f" ] || { echo "install: missing $prefix/$f"; exit 1; }
done
cmp -s docs/usher.3 "$dest$prefix/share/man/man3/usher.3" ||
    { echo "install: the installed man page is not docs/usher.3"; exit 1; }

cat >"$dest/prog.c" <<'PROG'
#include <stdio.h>
#include <string.h>
#include <usher.h>
int main(void)
{
    usher_engine *e = NULL;
    if (usher_engine_new(NULL, &e) != USHER_OK) return 1;
    if (usher_agent_add(e, 7, 1) != USHER_OK) return 1; /* hashes the id: xxhash */
    usher_engine_free(e);
    if (strcmp(usher_version(), USHER_VERSION_STRING) != 0) return 2;
    puts("installed usher works");
    return 0;
}
PROG
export PKG_CONFIG_PATH="$libdir/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$dest"
cc_="${CC:-cc}"

# shellcheck disable=SC2046 # pkg-config's output is a list of flags
$cc_ "$dest/prog.c" -o "$dest/prog-shared" $(pkg-config --cflags --libs usher)
LD_LIBRARY_PATH="$libdir" "$dest/prog-shared"
if ! LD_LIBRARY_PATH="$libdir" ldd "$dest/prog-shared" | grep -q 'libusher.so.0 => '"$libdir"; then
    echo "install: the shared program does not load the installed libusher.so.0"; exit 1
fi

# Static: -static takes libusher.a and libxxhash.a, and only --static's
# Requires.private names xxhash; without it the link must fail.
# shellcheck disable=SC2046
if $cc_ -static "$dest/prog.c" -o "$dest/prog-nostatic" $(pkg-config --cflags --libs usher) \
    2>/dev/null; then
    echo "install: a static link without xxhash worked: this check proves nothing"; exit 1
fi
# shellcheck disable=SC2046
$cc_ -static "$dest/prog.c" -o "$dest/prog-static" $(pkg-config --cflags --libs --static usher)
"$dest/prog-static"
if readelf -d "$dest/prog-static" | grep -q 'NEEDED'; then
    echo "install: the static program still needs shared libraries"; exit 1
fi

make_quiet uninstall DESTDIR="$dest" PREFIX="$prefix" >/dev/null
left=$(find "$dest$prefix" \( -type f -o -type l \) | head -n 5)
if [ -n "$left" ]; then
    echo "install: uninstall left files behind:"; echo "$left"; exit 1
fi
echo "install: shared and static programs built with pkg-config and ran; man page installed;" \
    "uninstall is clean"
