#!/usr/bin/env bash
# Rebuilds tests/data/obj/*.bpf.o from tests/data/c/*.bpf.c. The objects are committed so that
# the tests need no clang; run this after changing a C source.
# Needs clang (14 or newer) and libbpf's headers (Debian: apt-get install -y clang-14 libbpf-dev).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
clang="${CLANG:-clang-14}"
arch_include="/usr/include/$(uname -m)-linux-gnu"
mkdir -p "$here/obj"
cd "$here"
# Relative source paths and a fixed compilation directory keep the objects the same wherever they
# are built: line info then names "c/<file>.bpf.c".
for source in c/*.bpf.c; do
    name="$(basename "$source" .c)"
    "$clang" -target bpf -O2 -g -fdebug-compilation-dir=. -I"$arch_include" -c "$source" -o "obj/$name.o"
    echo "built obj/$name.o"
done
# Program arrays and maps of maps declared libbpf's way (with `.values`): built from their own folder,
# the build path mapped to "." so that no absolute path ends up in the objects.
mkdir -p obj/libbpf_maps
for source in c/libbpf_maps/*.bpf.c; do
    name="$(basename "$source" .c)"
    (cd c/libbpf_maps && "$clang" -target bpf -O2 -g -fdebug-prefix-map="$PWD"=. -I"$arch_include" -c "$name.c" -o "../../obj/libbpf_maps/$name.o")
    echo "built obj/libbpf_maps/$name.o"
done
