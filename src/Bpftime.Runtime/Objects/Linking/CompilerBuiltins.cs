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
    private const byte R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

    private static Instruction[] Memset() => new InstructionBuilder()
        .AluRegister(AluOperation.Mov, R0, R1)
        .Alu(AluOperation.And, R2, 0xff)
        .Jump(JumpOperation.Jlt, R3, 8, "bytes")
        .AluRegister(AluOperation.Mov, R4, R2)
        .Alu(AluOperation.Mul, R4, 0x01010101)
        .AluRegister(AluOperation.Mov, R5, R4)
        .Alu(AluOperation.Lsh, R5, 32)
        .AluRegister(AluOperation.Or, R4, R5)
        .Label("words")
        .Store(MemorySize.DoubleWord, R1, R4)
        .Alu(AluOperation.Add, R1, 8)
        .Alu(AluOperation.Sub, R3, 8)
        .Jump(JumpOperation.Jge, R3, 8, "words")
        .Label("bytes")
        .Jump(JumpOperation.Jeq, R3, 0, "done")
        .Store(MemorySize.Byte, R1, R2)
        .Alu(AluOperation.Add, R1, 1)
        .Alu(AluOperation.Sub, R3, 1)
        .Ja("bytes")
        .Label("done")
        .Exit()
        .Build();

    /// <summary>The forward copy memcpy is and memmove starts with; it leaves by jumping to "done".</summary>
    private static InstructionBuilder CopyForward(InstructionBuilder code) => code
        .Label("words")
        .Jump(JumpOperation.Jlt, R3, 8, "bytes")
        .Load(MemorySize.DoubleWord, R4, R2)
        .Store(MemorySize.DoubleWord, R1, R4)
        .Alu(AluOperation.Add, R1, 8)
        .Alu(AluOperation.Add, R2, 8)
        .Alu(AluOperation.Sub, R3, 8)
        .Ja("words")
        .Label("bytes")
        .Jump(JumpOperation.Jeq, R3, 0, "done")
        .Load(MemorySize.Byte, R4, R2)
        .Store(MemorySize.Byte, R1, R4)
        .Alu(AluOperation.Add, R1, 1)
        .Alu(AluOperation.Add, R2, 1)
        .Alu(AluOperation.Sub, R3, 1)
        .Ja("bytes");

    private static Instruction[] Memcpy() => CopyForward(new InstructionBuilder().AluRegister(AluOperation.Mov, R0, R1))
        .Label("done")
        .Exit()
        .Build();

    private static Instruction[] Memmove() => CopyForward(new InstructionBuilder()
            .AluRegister(AluOperation.Mov, R0, R1)
            .JumpRegister(JumpOperation.Jgt, R1, R2, "backward"))
        .Label("backward")
        .Jump(JumpOperation.Jlt, R3, 8, "back_bytes")
        .Alu(AluOperation.Sub, R3, 8)
        .AluRegister(AluOperation.Mov, R4, R2)
        .AluRegister(AluOperation.Add, R4, R3)
        .Load(MemorySize.DoubleWord, R5, R4)
        .AluRegister(AluOperation.Mov, R4, R1)
        .AluRegister(AluOperation.Add, R4, R3)
        .Store(MemorySize.DoubleWord, R4, R5)
        .Ja("backward")
        .Label("back_bytes")
        .Jump(JumpOperation.Jeq, R3, 0, "done")
        .Alu(AluOperation.Sub, R3, 1)
        .AluRegister(AluOperation.Mov, R4, R2)
        .AluRegister(AluOperation.Add, R4, R3)
        .Load(MemorySize.Byte, R5, R4)
        .AluRegister(AluOperation.Mov, R4, R1)
        .AluRegister(AluOperation.Add, R4, R3)
        .Store(MemorySize.Byte, R4, R5)
        .Ja("back_bytes")
        .Label("done")
        .Exit()
        .Build();

    // A differing word is compared byte by byte over those 8 bytes only (the difference lies there), which
    // keeps the verifier's work linear in the length.
    private static Instruction[] Memcmp() => new InstructionBuilder()
        .Alu(AluOperation.Mov, R0, 0)
        .Label("words")
        .Jump(JumpOperation.Jlt, R3, 8, "bytes")
        .Load(MemorySize.DoubleWord, R4, R1)
        .Load(MemorySize.DoubleWord, R5, R2)
        .JumpRegister(JumpOperation.Jne, R4, R5, "word_differs")
        .Alu(AluOperation.Add, R1, 8)
        .Alu(AluOperation.Add, R2, 8)
        .Alu(AluOperation.Sub, R3, 8)
        .Ja("words")
        .Label("word_differs")
        .Alu(AluOperation.Mov, R3, 8)
        .Label("bytes")
        .Jump(JumpOperation.Jeq, R3, 0, "done")
        .Load(MemorySize.Byte, R4, R1)
        .Load(MemorySize.Byte, R5, R2)
        .JumpRegister(JumpOperation.Jne, R4, R5, "differ")
        .Alu(AluOperation.Add, R1, 1)
        .Alu(AluOperation.Add, R2, 1)
        .Alu(AluOperation.Sub, R3, 1)
        .Ja("bytes")
        .Label("differ")
        .AluRegister(AluOperation.Mov, R0, R4)
        .AluRegister(AluOperation.Sub, R0, R5)
        .Label("done")
        .Exit()
        .Build();

    private static readonly FrozenDictionary<string, Lazy<Instruction[]>> Functions = new Dictionary<string, Lazy<Instruction[]>>
    {
        ["memset"] = new(Memset),
        ["memcpy"] = new(Memcpy),
        ["memmove"] = new(Memmove),
        ["memcmp"] = new(Memcmp),
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
}
