#!/usr/bin/env bash
# Rebuilds tests/data/obj/builtins/*.bpf.o from the C programs here. The objects are committed so that
# the tests need no clang; run this after changing a source.
# -fno-builtin keeps memset/memcpy/memmove/memcmp as calls to undefined functions (what the object
# linker supplies), which clang-14 would otherwise refuse to emit for the BPF target.
# Needs clang-14 (or $CLANG) and libbpf's headers (Debian: apt-get install -y clang-14 libbpf-dev).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../obj/builtins"
clang="${CLANG:-clang-14}"
arch_include="/usr/include/$(uname -m)-linux-gnu"
mkdir -p "$out"
cd "$here"
for source in *.bpf.c; do
    name="$(basename "$source" .c)"
    "$clang" -target bpf -O2 -g -fno-builtin -fdebug-compilation-dir=. -I"$arch_include" -c "$source" -o "$out/$name.o"
    echo "built obj/builtins/$name.o"
done
