#!/usr/bin/env bash
# Rebuilds tests/data/obj/legacy_packet/*.bpf.o from the C programs here. The objects are committed so
# that the tests need no clang; run this after changing a source.
# Needs clang-14 (or $CLANG) and libbpf's headers (Debian: apt-get install -y clang-14 libbpf-dev).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../obj/legacy_packet"
clang="${CLANG:-clang-14}"
arch_include="/usr/include/$(uname -m)-linux-gnu"
mkdir -p "$out"
cd "$here"
for source in *.bpf.c; do
    name="$(basename "$source" .c)"
    "$clang" -target bpf -O2 -g -fdebug-compilation-dir=. -I"$arch_include" -c "$source" -o "$out/$name.o"
    echo "built obj/legacy_packet/$name.o"
done
