#!/usr/bin/env bash
# Rebuilds tests/data/obj/verifier/*.bpf.o from the verifier's C programs here. The objects are
# committed so that the tests need no clang; run this after changing a source.
# Needs clang-14 (or $CLANG) and libbpf's headers (Debian: apt-get install -y clang-14 libbpf-dev).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../obj/verifier"
clang="${CLANG:-clang-14}"
arch_include="/usr/include/$(uname -m)-linux-gnu"
mkdir -p "$out" "$out/unsafe"
for source in "$here"/*.bpf.c; do
    name="$(basename "$source" .c)"
    "$clang" -target bpf -O2 -g -fdebug-compilation-dir=. -I"$arch_include" -c "$source" -o "$out/$name.o"
    echo "built obj/verifier/$name.o"
done
for source in "$here"/unsafe/*.bpf.c; do
    name="$(basename "$source" .c)"
    "$clang" -target bpf -O2 -g -fdebug-compilation-dir=. -I"$arch_include" -c "$source" -o "$out/unsafe/$name.o"
    echo "built obj/verifier/unsafe/$name.o"
done
