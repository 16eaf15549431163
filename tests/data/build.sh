#!/usr/bin/env bash
# Rebuilds tests/data/obj/*.bpf.o from tests/data/c/*.bpf.c. The objects are committed so that
# the tests need no clang; run this after changing a C source.
# Needs clang (14 or newer) and libbpf's headers (Debian: apt-get install -y clang-14 libbpf-dev).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
clang="${CLANG:-clang-14}"
arch_include="/usr/include/$(uname -m)-linux-gnu"
mkdir -p "$here/obj"
# Compiled from each object's folder with that folder mapped to ".": the line info names each source
# relative to its object ("../c/<file>.bpf.c"), so the objects are the same wherever they are built
# and diagnostics find the source in any clone.
cd "$here/obj"
for source in ../c/*.bpf.c; do
    name="$(basename "$source" .c)"
    "$clang" -target bpf -O2 -g -fdebug-prefix-map="$PWD"=. -I"$arch_include" -c "$source" -o "$name.o"
    echo "built obj/$name.o"
done
# Program arrays and maps of maps declared libbpf's way (with `.values`), the same way.
mkdir -p "$here/obj/libbpf_maps"
cd "$here/obj/libbpf_maps"
for source in ../../c/libbpf_maps/*.bpf.c; do
    name="$(basename "$source" .c)"
    "$clang" -target bpf -O2 -g -fdebug-prefix-map="$PWD"=. -I"$arch_include" -c "$source" -o "$name.o"
    echo "built obj/libbpf_maps/$name.o"
done
