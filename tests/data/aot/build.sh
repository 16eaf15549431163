#!/bin/sh
# Rebuilds the native test objects of the AOT linker from the C sources beside this script.
# The .o files are committed, so the tests do not need clang; run this after changing a source.
set -eu
cd "$(dirname "$0")"
CC=${CC:-clang-14}
OBJCOPY=${OBJCOPY:-objcopy}
FLAGS="-O2 -ffreestanding -fno-stack-protector -fno-asynchronous-unwind-tables -fno-builtin -Wall -Werror"

cc() { out=$1; shift; $CC $FLAGS "$@" -c -o "$out"; }

# Default code model, position independent: PLT32, PC32 and REX_GOTPCRELX relocations.
for name in helpers loops maps builtins callx unwind unknown_helper unresolved multi; do
    cc "$name.o" -fPIC "$name.c"
done
# Keep the unwind tables in one object: the linker must drop .eh_frame and its relocations.
$CC -O2 -ffreestanding -fno-stack-protector -fPIC -c -o loops_eh.o loops.c
# Uninitialised globals as common symbols, which the linker places in the read-write pages.
cc loops_common.o -fPIC -fcommon loops.c
# A stack protector, as some distributions turn on by default: __stack_chk_fail is a builtin.
$CC -O2 -ffreestanding -fno-asynchronous-unwind-tables -fPIC -fstack-protector-all -c -o builtins_ssp.o builtins.c
# Plain GOTPCREL (no relaxation hint).
cc loops_norelax.o -fPIC -Wa,-mrelax-relocations=no loops.c
cc maps_norelax.o -fPIC -Wa,-mrelax-relocations=no maps.c
# -fno-pic: R_X86_64_32/32S to local data (the block is then placed below 2 GiB), far helper calls through stubs.
cc loops_nopic.o -fno-pic loops.c
cc helpers_nopic.o -fno-pic helpers.c
cc nopic_map.o -fno-pic nopic_map.c
cc address_nopic.o -fno-pic address.c
# -fno-plt: helper calls through the GOT, R_X86_64_GOTPCRELX.
cc helpers_noplt.o -fPIC -fno-plt helpers.c
# -mcmodel=large: R_X86_64_64 and PC64 without PIC; GOT64, GOTOFF64 and GOTPC64 with it.
cc loops_large.o -fno-pic -mcmodel=large loops.c
cc maps_large.o -fno-pic -mcmodel=large maps.c
cc loops_large_pic.o -fPIC -mcmodel=large loops.c
cc maps_large_pic.o -fPIC -mcmodel=large maps.c
# Another architecture, to be refused on x86-64.
cc helpers_aarch64.o --target=aarch64-linux-gnu helpers.c

# Objects with a .bpftime.aot metadata section, as the AOT compiler writes it.
with_meta() { # object source-object metadata.json
    $OBJCOPY --add-section ".bpftime.aot=meta/$3" --set-section-flags .bpftime.aot=noload,readonly "$2" "$1"
}
with_meta helpers_meta.o helpers.o helpers.json
with_meta helpers_badsig.o helpers.o helpers_badsig.json
with_meta helpers_bigstack.o helpers.o helpers_bigstack.json
with_meta helpers_aarch64_triple.o helpers.o helpers_aarch64_triple.json
with_meta helpers_format2.o helpers.o helpers_format2.json
with_meta helpers_badjson.o helpers.o helpers_badjson.json
with_meta helpers_nosymbol.o helpers.o helpers_nosymbol.json
with_meta helpers_deepcalls.o helpers.o helpers_deepcalls.json
with_meta helpers_stopmismatch.o helpers.o helpers_stopmismatch.json
with_meta maps_meta.o maps.o maps.json
with_meta maps_badvalue.o maps.o maps_badvalue.json
