namespace Bpftime.Isa;

/// <summary>
/// The names the conformance dialect gives to ALU and jump operations and to access sizes: the disassembler
/// writes them and the text assembler (Bpftime.Assembler) reads them, so both spell an instruction alike.
/// 64-bit ALU forms are bare (<c>add</c>), 32-bit ones end in 32; jumps likewise for the JMP32 class.
/// </summary>
internal static class Mnemonics
{
    /// <summary>ALU operations by name; the offset tells the signed forms (sdiv, smod) from the unsigned ones.</summary>
    public static readonly (string Name, AluOperation Operation, short Offset)[] Alu =
    [
        ("add", AluOperation.Add, 0),
        ("sub", AluOperation.Sub, 0),
        ("mul", AluOperation.Mul, 0),
        ("div", AluOperation.Div, 0),
        ("sdiv", AluOperation.Div, 1),
        ("or", AluOperation.Or, 0),
        ("and", AluOperation.And, 0),
        ("lsh", AluOperation.Lsh, 0),
        ("rsh", AluOperation.Rsh, 0),
        ("mod", AluOperation.Mod, 0),
        ("smod", AluOperation.Mod, 1),
        ("xor", AluOperation.Xor, 0),
        ("mov", AluOperation.Mov, 0),
        ("arsh", AluOperation.Arsh, 0),
    ];

    /// <summary>Conditional jumps by name.</summary>
    public static readonly (string Name, JumpOperation Operation)[] Jump =
    [
        ("jeq", JumpOperation.Jeq),
        ("jgt", JumpOperation.Jgt),
        ("jge", JumpOperation.Jge),
        ("jset", JumpOperation.Jset),
        ("jne", JumpOperation.Jne),
        ("jsgt", JumpOperation.Jsgt),
        ("jsge", JumpOperation.Jsge),
        ("jlt", JumpOperation.Jlt),
        ("jle", JumpOperation.Jle),
        ("jslt", JumpOperation.Jslt),
        ("jsle", JumpOperation.Jsle),
    ];

    /// <summary>The suffix of a load or store for each access size (<c>ldxb</c>, <c>stxdw</c>).</summary>
    public static readonly (string Suffix, MemorySize Size)[] SizeSuffixes =
    [
        ("b", MemorySize.Byte),
        ("h", MemorySize.Half),
        ("w", MemorySize.Word),
        ("dw", MemorySize.DoubleWord),
    ];
}
