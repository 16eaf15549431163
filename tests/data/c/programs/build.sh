#!/usr/bin/env bash
# Rebuilds the objects of the real programs (tests/data/c/programs/*.bpf.c -> obj/*.bpf.o). The
# objects are committed so that the tests need no clang; run this after changing a source.
# Needs clang (14 or newer) and libbpf's headers (Debian: apt-get install -y clang-14 libbpf-dev).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
clang="${CLANG:-clang-14}"
arch_include="/usr/include/$(uname -m)-linux-gnu"
mkdir -p "$here/obj"
for source in "$here"/*.bpf.c; do
    name="$(basename "$source" .c)"
    "$clang" -target bpf -O2 -g -I"$arch_include" -c "$source" -o "$here/obj/$name.o"
    echo "built obj/$name.o"
done
