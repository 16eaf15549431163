#!/bin/sh
# Rebuilds the benchmark kernels from the C beside this script; the outputs are committed, so the
# benchmarks need no clang. Each source is compiled twice, for eBPF and natively for x86-64:
#   bench.c -> <section>.bin (raw bytecode of each program) and bench.native.o
#   maps.c  -> maps.bpf.o (an eBPF object with BTF-defined maps) and maps.native.o
# The native objects follow the runtime AOT linker's conventions (bpftime_aot.h in tests/data/aot):
# they carry no .bpftime.aot metadata, so AotLinker.Link accepts them with a warning (BPF3120).
set -eu
cd "$(dirname "$0")"
CC=${CC:-clang-14}
OBJCOPY=${OBJCOPY:-llvm-objcopy-14}
NATIVE="-O3 -fno-stack-protector -fPIC -c --target=x86_64-linux-gnu -Wall -Werror"

$CC -O2 -target bpf -Wall -Werror -c bench.c -o bench.o
for section in log2 memcpy primes strcmp switch; do
    $OBJCOPY -O binary --only-section="$section" bench.o "$section.bin"
done
rm bench.o
$CC $NATIVE bench.c -o bench.native.o

# The build folder mapped to ".": the line info names maps.c beside the object, not the absolute
# path of the machine that built it.
$CC -O2 -g -fdebug-prefix-map="$(pwd)"=. -target bpf -Wall -Werror -Wno-unused-parameter -c maps.c -o maps.bpf.o
$CC $NATIVE maps.c -o maps.native.o
