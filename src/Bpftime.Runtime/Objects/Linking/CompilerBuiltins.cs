using System.Collections.Frozen;
using Bpftime.Isa;

namespace Bpftime.Objects.Linking;

/// <summary>
/// memset, memcpy, memmove and memcmp as eBPF functions. clang turns large struct copies and zeroing into
/// calls to these when it cannot inline them, and leaves them as calls (<c>call -1</c>, src 1, an
/// R_BPF_64_32 relocation) against undefined symbols. The linker appends the function to each program
/// that calls one, as a bpf-to-bpf subprogram, so that every engine runs the same bytecode and the
/// verifier proves every call site like any other subprogram: a length past the buffer is refused by
/// the verifier and faults in checked runs.
/// </summary>
/// <remarks>
/// Arguments as in C: r1, r2, r3; r0 the result (dst, or memcmp's sign). Only r0-r5 are used and no
/// stack, so callers keep r6-r9 and their whole stack. Whole 8-byte steps run while 8 or more bytes remain,
/// then single bytes; the words need no alignment (no engine or rule here requires it) and keep spilled
/// pointers whole when a struct holding them is copied. memmove copies backwards when the destination
/// lies above the source, so overlapping ranges are copied as if through a temporary buffer; it
/// addresses each step as base + remaining length, so that the verifier, which learns the remaining
/// length's bounds at each loop test, proves every access within [base, base + n).
/// </remarks>
internal static class CompilerBuiltins
{
    private const string MemsetSource = """
        mov %r0, %r1
        and %r2, 0xff
        jlt %r3, 8, bytes
        mov %r4, %r2
        mul %r4, 0x01010101
        mov %r5, %r4
        lsh %r5, 32
        or %r4, %r5
        words:
        stxdw [%r1], %r4
        add %r1, 8
        sub %r3, 8
        jge %r3, 8, words
        bytes:
        jeq %r3, 0, done
        stxb [%r1], %r2
        add %r1, 1
        sub %r3, 1
        ja bytes
        done:
        exit
        """;

    private const string MemcpyForward = """
        words:
        jlt %r3, 8, bytes
        ldxdw %r4, [%r2]
        stxdw [%r1], %r4
        add %r1, 8
        add %r2, 8
        sub %r3, 8
        ja words
        bytes:
        jeq %r3, 0, done
        ldxb %r4, [%r2]
        stxb [%r1], %r4
        add %r1, 1
        add %r2, 1
        sub %r3, 1
        ja bytes
        """;

    private const string MemcpySource = "mov %r0, %r1\n" + MemcpyForward + "\ndone:\nexit\n";

    private const string MemmoveSource = "mov %r0, %r1\njgt %r1, %r2, backward\n" + MemcpyForward + """

        backward:
        jlt %r3, 8, back_bytes
        sub %r3, 8
        mov %r4, %r2
        add %r4, %r3
        ldxdw %r5, [%r4]
        mov %r4, %r1
        add %r4, %r3
        stxdw [%r4], %r5
        ja backward
        back_bytes:
        jeq %r3, 0, done
        sub %r3, 1
        mov %r4, %r2
        add %r4, %r3
        ldxb %r5, [%r4]
        mov %r4, %r1
        add %r4, %r3
        stxb [%r4], %r5
        ja back_bytes
        done:
        exit
        """;

    // A differing word is compared byte by byte over those 8 bytes only (the difference lies there), which
    // keeps the verifier's work linear in the length.
    private const string MemcmpSource = """
        mov %r0, 0
        words:
        jlt %r3, 8, bytes
        ldxdw %r4, [%r1]
        ldxdw %r5, [%r2]
        jne %r4, %r5, word_differs
        add %r1, 8
        add %r2, 8
        sub %r3, 8
        ja words
        word_differs:
        mov %r3, 8
        bytes:
        jeq %r3, 0, done
        ldxb %r4, [%r1]
        ldxb %r5, [%r2]
        jne %r4, %r5, differ
        add %r1, 1
        add %r2, 1
        sub %r3, 1
        ja bytes
        differ:
        mov %r0, %r4
        sub %r0, %r5
        done:
        exit
        """;

    private static readonly FrozenDictionary<string, Lazy<Instruction[]>> Functions = new Dictionary<string, Lazy<Instruction[]>>
    {
        ["memset"] = Assemble("memset", MemsetSource),
        ["memcpy"] = Assemble("memcpy", MemcpySource),
        ["memmove"] = Assemble("memmove", MemmoveSource),
        ["memcmp"] = Assemble("memcmp", MemcmpSource),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The bytecode of a builtin, or false when <paramref name="name"/> is not one.</summary>
    public static bool TryGet(string name, out Instruction[] code)
    {
        if (Functions.TryGetValue(name, out var lazy))
        {
            code = lazy.Value;
            return true;
        }
        code = [];
        return false;
    }

    /// <summary>What the verifier's messages show for an instruction of a builtin.</summary>
    public static string Describe(string name) => name switch
    {
        "memset" => "memset(dst, c, n), supplied by the object linker",
        "memcmp" => "memcmp(a, b, n), supplied by the object linker",
        _ => $"{name}(dst, src, n), supplied by the object linker",
    };

    private static Lazy<Instruction[]> Assemble(string name, string source) =>
        new(() => Assembler.Assemble(source, "builtin " + name));
}
