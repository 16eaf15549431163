#!/usr/bin/env bash
# Rebuilds tests/data/obj/build/*.bpf.o, the objects the build tests feed to the SDK. The objects
# are committed so that the tests need no clang; run this after changing a source. Line info names
# the sources relative to this folder (-fdebug-prefix-map), so a copy of an object next to a copy
# of its source points diagnostics at that copy.
# Needs clang-14 (or $CLANG) and libbpf's headers (Debian: apt-get install -y clang-14 libbpf-dev).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../obj/build"
clang="${CLANG:-clang-14}"
arch_include="/usr/include/$(uname -m)-linux-gnu"
mkdir -p "$out"
cd "$here"
for source in *.bpf.c; do
    name="$(basename "$source" .c)"
    "$clang" -target bpf -O2 -g -fdebug-prefix-map="$here"=. -I"$arch_include" -c "$source" -o "$out/$name.o"
    echo "built obj/build/$name.o"
done
