/* Symbols the bpftime runtime linker binds in a natively compiled program object.
 *
 * A program is `u64 name(void *ctx, u64 len)`; a lone program is called bpf_main.
 * Helpers are called by symbol, _bpf_helper_ext_NNNN with the helper's id in four digits,
 * taking five 64-bit arguments (r1-r5) and returning r0.
 * The ADDRESS of _bpf_map_handle_N is the handle of the runtime's map N (what ld_imm64 src 1
 * loads); the ADDRESS of _bpf_map_value_N is byte 0 of map N's value (ld_imm64 src 2).
 * _bpf_helper_by_id calls a helper chosen at run time (callx).
 * memcpy, memset, memmove, memcmp and bcmp are provided by the linker.
 *
 * Compile with -O2 -ffreestanding -fno-stack-protector and -fPIC (or -mcmodel=large): maps live
 * anywhere in the address space, so -fno-pic code cannot take their addresses. */
#ifndef BPFTIME_AOT_H
#define BPFTIME_AOT_H

typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned char u8;

#define BPFTIME_HELPER(id) extern u64 _bpf_helper_ext_##id(u64, u64, u64, u64, u64)
#define BPFTIME_MAP_HANDLE(n) extern char _bpf_map_handle_##n[]
#define BPFTIME_MAP_VALUE(n) extern char _bpf_map_value_##n[]

extern u64 _bpf_helper_by_id(u64 id, u64 r1, u64 r2, u64 r3, u64 r4, u64 r5);

/* The helpers of the tests' helper set. */
BPFTIME_HELPER(0001); /* add: r1 + r2 */
BPFTIME_HELPER(0002); /* muladd: r1 * r2 + r3 */
BPFTIME_HELPER(0003); /* check: returns r1; stops the program when that is 0 */
BPFTIME_HELPER(0005); /* map_add: adds r2 to the u64 at byte 0 of map r1's value, returns the sum */

#endif
