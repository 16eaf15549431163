#!/usr/bin/env bash
# Rebuilds tests/data/obj/map_of_maps/*.bpf.o from the C programs here (maps of maps in legacy and BTF
# declarations). The objects are committed so that the tests need no clang; run this after changing a source.
# Needs clang-14 (or $CLANG) and libbpf's headers (Debian: apt-get install -y clang-14 libbpf-dev).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../obj/map_of_maps"
clang="${CLANG:-clang-14}"
arch_include="/usr/include/$(uname -m)-linux-gnu"
mkdir -p "$out"
cd "$here"
for source in *.bpf.c; do
    name="$(basename "$source" .c)"
    "$clang" -target bpf -O2 -g -fdebug-compilation-dir=. -I"$arch_include" -c "$source" -o "$out/$name.o"
    echo "built obj/map_of_maps/$name.o"
done
