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
# Compiled from the objects' folder with that folder mapped to ".": the line info names each source
# relative to its object, and no absolute path of the building machine ends up in the objects.
cd "$out"
for source in ../../c/legacy_packet/*.bpf.c; do
    name="$(basename "$source" .c)"
    "$clang" -target bpf -O2 -g -fdebug-prefix-map="$PWD"=. -I"$arch_include" -c "$source" -o "$name.o"
    echo "built obj/legacy_packet/$name.o"
done
