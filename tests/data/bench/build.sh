#!/bin/sh
# Rebuilds the benchmark kernels: one raw bytecode file per program section of bench.c.
set -e
cd "$(dirname "$0")"
clang-14 -O2 -target bpf -c bench.c -o bench.o
for section in log2 memcpy primes strcmp switch; do
    llvm-objcopy-14 -O binary --only-section="$section" bench.o "$section.bin"
done
rm bench.o
