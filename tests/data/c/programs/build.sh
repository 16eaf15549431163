#!/usr/bin/env bash
# Rebuilds the objects of the real programs (tests/data/c/programs/*.bpf.c -> obj/*.bpf.o). The
# objects are committed so that the tests need no clang; run this after changing a source.
# Needs clang (14 or newer) and libbpf's headers (Debian: apt-get install -y clang-14 libbpf-dev).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
clang="${CLANG:-clang-14}"
arch_include="/usr/include/$(uname -m)-linux-gnu"
mkdir -p "$here/obj"
# Compiled from obj/ with the folder mapped to ".": the line info then names "../<file>.bpf.c",
# relative to the object, and no absolute path of the building machine ends up in the objects.
cd "$here/obj"
for source in ../*.bpf.c; do
    name="$(basename "$source" .c)"
    "$clang" -target bpf -O2 -g -fdebug-prefix-map="$PWD"=. -I"$arch_include" -c "$source" -o "$name.o"
    echo "built obj/$name.o"
done
