namespace Bpftime.Helpers;

/// <summary>What a helper expects in one argument register; the verifier and the AOT linker check against it.</summary>
public enum HelperArgumentKind
{
    /// <summary>Any initialised value, scalar or pointer.</summary>
    Anything,
    /// <summary>A scalar (not a pointer).</summary>
    Scalar,
    /// <summary>A map pointer that is a constant (from ld_imm64).</summary>
    ConstMapPointer,
    /// <summary>Pointer to initialised memory of the map's key size.</summary>
    MapKey,
    /// <summary>Pointer to initialised memory of the map's value size.</summary>
    MapValue,
    /// <summary>Pointer to initialised memory; its size is in the next argument.</summary>
    Memory,
    /// <summary>Like <see cref="Memory"/>, or null with a zero size.</summary>
    MemoryOrNull,
    /// <summary>Pointer to memory the helper writes; its size is in the next argument.</summary>
    UninitializedMemory,
    /// <summary>A size for the previous memory argument, known to be within bounds; zero refused.</summary>
    ConstSize,
    /// <summary>A size for the previous memory argument; zero allowed.</summary>
    ConstSizeOrZero,
    /// <summary>The program's context pointer.</summary>
    Context,
    /// <summary>A pointer to a NUL-terminated constant string in read-only data.</summary>
    ConstString,
    /// <summary>A ring-buffer record returned by reserve, to be released.</summary>
    RingBufferRecord,
    /// <summary>A pointer to a program-local function (callbacks of bpf_loop, for_each_map_elem).</summary>
    Function,
    /// <summary>A pointer to a stack slot (long*, u64*).</summary>
    StackPointer,
    /// <summary>Pointer to memory of the map's value size that the helper writes (bpf_map_pop_elem, peek).</summary>
    UninitializedMapValue,
    /// <summary>A pointer to the stack, or null (the context argument of bpf_loop and for_each_map_elem).</summary>
    StackPointerOrNull,
    /// <summary>A pointer to a struct bpf_spin_lock inside a map value.</summary>
    SpinLock,
    /// <summary>Like <see cref="UninitializedMemory"/>, or null with a zero size (bpf_snprintf's output).</summary>
    UninitializedMemoryOrNull,
    /// <summary>Pointer to initialised memory that the helper reads and then writes back (bpf_fib_lookup's params); its size is in the next argument.</summary>
    MutableMemory,
    /// <summary>The program's context pointer, or null (bpf_get_netns_cookie).</summary>
    ContextOrNull,
    /// <summary>A socket pointer (Linux's ARG_PTR_TO_SOCK_COMMON / ARG_PTR_TO_SOCKET): the verifier does not track sockets, so calls that need one are refused.</summary>
    Socket,
}
