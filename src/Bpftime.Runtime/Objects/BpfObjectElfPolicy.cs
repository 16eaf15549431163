using Bpftime.Diagnostics;
using Bpftime.Elf;

namespace Bpftime.Objects;

/// <summary>
/// How eBPF objects are read: EM_BPF, or EM_NONE as old LLVM wrote (the reader warns about it), REL or
/// RELA, and every problem a BPF1xxx diagnostic.
/// </summary>
internal sealed class BpfObjectElfPolicy : ElfReadPolicy
{
    public static readonly BpfObjectElfPolicy Instance = new();

    public override bool AcceptsMachine(ushort machine) => machine is ElfImage.MachineBpf or ElfImage.MachineNone;

    public override BpfException Refuse(ElfProblem problem, string message, ulong value, string? origin) => problem switch
    {
        ElfProblem.WrongClass => BpfException.Create(DiagnosticCodes.ElfWrongClass,
            $"ELF class {value} is not ELFCLASS64; eBPF objects are 64-bit (clang -target bpf)", origin),
        ElfProblem.WrongEndianness => BpfException.Create(DiagnosticCodes.ElfWrongEndianness, value == 2
            ? "the object is big-endian (bpfeb); build it little-endian with clang -target bpf or bpfel"
            : $"ELF data encoding {value} is neither little- nor big-endian", origin),
        ElfProblem.WrongMachine => BpfException.Create(DiagnosticCodes.ElfWrongMachine,
            $"ELF machine {value} is not EM_BPF ({ElfImage.MachineBpf}); this is not an eBPF object", origin),
        ElfProblem.WrongType => BpfException.Create(DiagnosticCodes.ElfWrongType,
            $"ELF type {value} is not ET_REL; eBPF objects are relocatable objects (clang -c)", origin),
        _ => BpfException.Create(CodeOf(problem), message, origin),
    };

    private static string CodeOf(ElfProblem problem) => problem switch
    {
        ElfProblem.NotElf or ElfProblem.HeaderTruncated => DiagnosticCodes.ElfHeaderTruncated,
        ElfProblem.SectionHeadersOutOfBounds or ElfProblem.ExtendedNumbering => DiagnosticCodes.SectionHeadersOutOfBounds,
        ElfProblem.SectionOutOfBounds => DiagnosticCodes.SectionOutOfBounds,
        ElfProblem.StringOutOfBounds => DiagnosticCodes.BadStringOffset,
        ElfProblem.SymbolTableMalformed => DiagnosticCodes.SymbolTableMalformed,
        ElfProblem.RelWithoutAddends => DiagnosticCodes.UnsupportedRelocation,
        ElfProblem.RelocationSymbolMissing => DiagnosticCodes.RelocationSymbolMissing,
        _ => DiagnosticCodes.RelocationOutOfBounds,
    };
}
