#!/bin/sh
# The FFI rules of docs/FFI.md that a compiler can check on include/usher.h:
# no public structure has hidden padding, no function is variadic, and no
# C enum, bool, or plain int/long type appears in a signature or a field
# (their sizes vary by platform and FFI).
set -eu
build="${BUILD:-build}"
src="$build/abi_padding.c"
mkdir -p "$build"
structs=$(sed -n 's/^} \(usher_[a-z_]*\);$/\1/p' include/usher.h)
[ -n "$structs" ] || { echo "abi: no structures found in include/usher.h"; exit 1; }
{
    echo '#include "usher.h"'
    echo 'unsigned long usher_abi_sizes[] = {'
    for s in $structs; do echo "    sizeof($s),"; done
    echo '};'
} >"$src"
if ! ${CC:-cc} -std=c11 -Iinclude -Wpadded -Werror -c "$src" -o "$build/abi_padding.o"; then
    echo "abi: a public structure has hidden padding (make it an explicit reserved field)"
    exit 1
fi
# Declarations only: comments stripped, one declaration per line.
decls=$(sed 's|/\*.*\*/||; /^ *\/\?\*/d' include/usher.h | tr '\n' ' ' | tr ';' '\n')
if echo "$decls" | grep -E '\.\.\.' >/dev/null; then
    echo "abi: a variadic function"; exit 1
fi
if echo "$decls" | grep -E '(\(|,|^ *|\{ *)(const )?(enum usher_[a-z_]+|bool|_Bool|int|long|unsigned|short) +\**[a-z_]+ *(\)|,|$)' \
    | grep -v '^ *enum usher_[a-z_]* *{' >/dev/null; then
    echo "abi: a parameter or field of a platform-sized or enum type:"
    echo "$decls" | grep -E '(\(|,|^ *|\{ *)(const )?(enum usher_[a-z_]+|bool|_Bool|int|long|unsigned|short) +\**[a-z_]+ *(\)|,|$)' | head -5
    exit 1
fi
echo "abi: $(echo "$structs" | wc -l) structures without hidden padding; no variadic function; fixed-width types only"
