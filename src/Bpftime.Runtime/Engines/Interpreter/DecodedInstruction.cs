using System.Runtime.InteropServices;

namespace Bpftime.Engines.Interpreter;

/// <summary>
/// One instruction as the run loop wants it (16 bytes): the dense operation, registers, and
/// pre-computed operands. <see cref="Target"/> is an absolute instruction index for jumps and local
/// calls, the memory offset for loads and stores, and the helper slot for helper calls.
/// <see cref="Imm"/> is the sign-extended immediate, or the resolved 64-bit value of an ld_imm64.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DecodedInstruction
{
    public InterpreterOp Op;
    public byte Dst;
    public byte Src;
    /// <summary>For atomics: the <see cref="Isa.AtomicOperation"/> folded to <see cref="AtomicKind"/>.</summary>
    public byte Aux;
    public int Target;
    public long Imm;
}

/// <summary>The atomic operations, as carried in <see cref="DecodedInstruction.Aux"/>.</summary>
internal enum AtomicKind : byte
{
    Add, Or, And, Xor,
    FetchAdd, FetchOr, FetchAnd, FetchXor,
    Exchange, CompareExchange,
}
