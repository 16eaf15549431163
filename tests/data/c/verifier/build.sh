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
# Compiled from each object's folder with that folder mapped to ".": the line info then names the
# source relative to the object, and no absolute path of the building machine ends up in it.
cd "$out"
for source in ../../c/verifier/*.bpf.c; do
    name="$(basename "$source" .c)"
    "$clang" -target bpf -O2 -g -fdebug-prefix-map="$PWD"=. -I"$arch_include" -c "$source" -o "$name.o"
    echo "built obj/verifier/$name.o"
done
cd "$out/unsafe"
for source in ../../../c/verifier/unsafe/*.bpf.c; do
    name="$(basename "$source" .c)"
    "$clang" -target bpf -O2 -g -fdebug-prefix-map="$PWD"=. -I"$arch_include" -c "$source" -o "$name.o"
    echo "built obj/verifier/unsafe/$name.o"
done
