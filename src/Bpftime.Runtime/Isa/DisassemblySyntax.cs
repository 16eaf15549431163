namespace Bpftime.Isa;

/// <summary>How <see cref="Disassembler"/> writes instructions.</summary>
public enum DisassemblySyntax
{
    /// <summary>
    /// llvm-objdump's BPF syntax (as LLVM 14 prints it, decimal immediates): <c>w0 += w1</c>,
    /// <c>if r1 &gt; 5 goto +3</c>, <c>r1 = *(u32 *)(r2 + 4)</c>, <c>r0 = 4886718345 ll</c>. Instructions
    /// LLVM 14 does not decode (ISA v4, jset, mod, st) use the spelling of later LLVM releases.
    /// </summary>
    Llvm,

    /// <summary>
    /// The conformance suite's assembly dialect, which the text assembler (Bpftime.Assembler) reads back to the same
    /// slots. An instruction the dialect cannot spell (non-zero unused fields, unknown opcodes, ld_imm64
    /// of a map) is written as <c>.raw 0x...</c>, one slot a directive.
    /// </summary>
    Conformance,
}
