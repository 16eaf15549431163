// Map access from a program: lookups and updates of an array, a hash map and a per-CPU array, one
// helper call per iteration. Each kernel reads its iteration count from the u64 at ctx[0] and
// returns a checksum.
// build.sh compiles this source twice: for eBPF (maps.bpf.o, BTF-defined maps, loaded with its map
// relocations) and natively (maps.native.o), where the map is the address of _bpf_map_handle_N and
// the helper is _bpf_helper_ext_NNNN, as the runtime's AOT linker binds them. Map 0 is the array,
// map 1 the hash, map 2 the per-CPU array; all have ENTRIES u32 keys and u64 values, and the updates
// write the value each key already holds (key * 3, in every processor's copy), so the maps, and the
// lookups' checksum, never change. hash_delete_insert alternates a delete of a key of the hash map and
// its insertion (BPF_NOEXIST, value key * 3): after an even number of iterations the map is as before.
// Map 3 is an LRU hash, full like the others: lru_update and lru_delete_insert do on it what
// hash_update and hash_delete_insert do (no insertion evicts: each re-inserts into the element its
// delete freed); the _call variants are the same loops with the map pointer hidden from the compiler
// in a register (an empty asm), so the code cannot see which map the call names and calls the helper:
// helper and compiled code measured in one run.
typedef unsigned long long u64;
typedef unsigned int u32;

#define ENTRIES 1024

#ifdef __bpf__
#define SEC(name) __attribute__((section(name), used))
#define MAP_DEF(name, map_type) \
    struct { \
        int (*type)[map_type]; \
        int (*max_entries)[ENTRIES]; \
        u32 *key; \
        u64 *value; \
    } name SEC(".maps")
MAP_DEF(array_map, 2 /* BPF_MAP_TYPE_ARRAY */);
MAP_DEF(hash_map, 1 /* BPF_MAP_TYPE_HASH */);
MAP_DEF(percpu_map, 6 /* BPF_MAP_TYPE_PERCPU_ARRAY */);
MAP_DEF(lru_map, 9 /* BPF_MAP_TYPE_LRU_HASH */);
#define LRU_MAP ((void *)&lru_map)
#define ARRAY_MAP ((void *)&array_map)
#define HASH_MAP ((void *)&hash_map)
#define PERCPU_MAP ((void *)&percpu_map)
static void *(*map_lookup)(void *map, const void *key) = (void *)1;
static long (*map_update)(void *map, const void *key, const void *value, u64 flags) = (void *)2;
static long (*map_delete)(void *map, const void *key) = (void *)3;
#else
#define SEC(name)
extern char _bpf_map_handle_0[];
extern char _bpf_map_handle_1[];
extern char _bpf_map_handle_2[];
extern char _bpf_map_handle_3[];
#define LRU_MAP ((void *)_bpf_map_handle_3)
extern u64 _bpf_helper_ext_0001(u64, u64, u64, u64, u64);
extern u64 _bpf_helper_ext_0002(u64, u64, u64, u64, u64);
extern u64 _bpf_helper_ext_0003(u64, u64, u64, u64, u64);
#define ARRAY_MAP ((void *)_bpf_map_handle_0)
#define HASH_MAP ((void *)_bpf_map_handle_1)
#define PERCPU_MAP ((void *)_bpf_map_handle_2)
static inline void *map_lookup(void *map, const void *key)
{
    return (void *)_bpf_helper_ext_0001((u64)map, (u64)key, 0, 0, 0);
}
static inline long map_update(void *map, const void *key, const void *value, u64 flags)
{
    return (long)_bpf_helper_ext_0002((u64)map, (u64)key, (u64)value, flags, 0);
}
static inline long map_delete(void *map, const void *key)
{
    return (long)_bpf_helper_ext_0003((u64)map, (u64)key, 0, 0, 0);
}
#endif

#define LOOKUP_KERNEL(name, map) \
    SEC("socket") u64 name(u64 *ctx, u64 length) \
    { \
        u64 n = ctx[0], sum = 0; \
        for (u64 i = 0; i < n; i++) { \
            u32 key = i & (ENTRIES - 1); \
            u64 *value = map_lookup(map, &key); \
            if (value) \
                sum += *value; \
        } \
        return sum; \
    }

// hide: a statement run once before the loop (an empty asm that hides the map pointer, or nothing).
#define UPDATE_KERNEL(name, map_pointer, hide) \
    SEC("socket") u64 name(u64 *ctx, u64 length) \
    { \
        void *map = map_pointer; \
        hide; \
        u64 n = ctx[0], stored = 0; \
        for (u64 i = 0; i < n; i++) { \
            u32 key = i & (ENTRIES - 1); \
            u64 value = (u64)key * 3; \
            if (map_update(map, &key, &value, 0) == 0) \
                stored++; \
        } \
        return stored; \
    }

LOOKUP_KERNEL(array_lookup, ARRAY_MAP)
UPDATE_KERNEL(array_update, ARRAY_MAP, (void)0)
LOOKUP_KERNEL(hash_lookup, HASH_MAP)
UPDATE_KERNEL(hash_update, HASH_MAP, (void)0)
LOOKUP_KERNEL(percpu_lookup, PERCPU_MAP)
UPDATE_KERNEL(percpu_update, PERCPU_MAP, (void)0)

// One helper call per iteration: even iterations delete key (i / 2) % ENTRIES, odd ones insert it again.
#define DELETE_INSERT_KERNEL(name, map_pointer, hide) \
    SEC("socket") u64 name(u64 *ctx, u64 length) \
    { \
        void *map = map_pointer; \
        hide; \
        u64 n = ctx[0], done = 0; \
        for (u64 i = 0; i < n; i++) { \
            u32 key = (i >> 1) & (ENTRIES - 1); \
            u64 value = (u64)key * 3; \
            long result = (i & 1) ? map_update(map, &key, &value, 1 /* BPF_NOEXIST */) : map_delete(map, &key); \
            if (result == 0) \
                done++; \
        } \
        return done; \
    }

#define HIDDEN asm volatile("" : "+r"(map))

DELETE_INSERT_KERNEL(hash_delete_insert, HASH_MAP, (void)0)
UPDATE_KERNEL(lru_update, LRU_MAP, (void)0)
UPDATE_KERNEL(lru_update_call, LRU_MAP, HIDDEN)
DELETE_INSERT_KERNEL(lru_delete_insert, LRU_MAP, (void)0)
DELETE_INSERT_KERNEL(lru_delete_insert_call, LRU_MAP, HIDDEN)
