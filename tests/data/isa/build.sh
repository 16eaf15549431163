#!/bin/sh
# Rebuilds the sample object and captures llvm-objdump-14's own disassembly of it, which the
# disassembler tests compare against. Needs clang-14 and llvm-objdump-14.
set -e
cd "$(dirname "$0")"
clang-14 -target bpf -mcpu=v3 -O2 -c objdump_sample.bpf.c -o objdump_sample.bpf.o
llvm-objdump-14 -d objdump_sample.bpf.o > objdump_sample.bpf.objdump.txt
llvm-mc-14 -triple bpfel -filetype=obj opcodes.s -o opcodes.o
llvm-objdump-14 -d opcodes.o > opcodes.objdump.txt
