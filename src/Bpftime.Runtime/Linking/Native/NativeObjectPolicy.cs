using Bpftime.Diagnostics;
using Bpftime.Elf;

namespace Bpftime.Linking.Native;

/// <summary>
/// How native objects are read: x86-64 or aarch64 ELF64 relocatables with RELA relocations. What is not
/// an object of that kind is a target or format refusal (BPF3100/3102); what is damaged is BPF3101.
/// </summary>
internal sealed class NativeObjectPolicy : ElfReadPolicy
{
    public static readonly NativeObjectPolicy Instance = new();

    public override bool AcceptsMachine(ushort machine) => machine is ElfImage.MachineX64 or ElfImage.MachineAArch64;

    public override bool AcceptsRel => false;

    public override BpfException Refuse(ElfProblem problem, string message, ulong value, string? origin) => problem switch
    {
        ElfProblem.NotElf => BpfException.Create(DiagnosticCodes.NativeObjectNotRelocatable, message, origin),
        ElfProblem.WrongType => BpfException.Create(DiagnosticCodes.NativeObjectNotRelocatable,
            $"the ELF file has type {value}, not a relocatable object (ET_REL, what `clang -c` makes)", origin),
        ElfProblem.WrongClass => BpfException.Create(DiagnosticCodes.NativeObjectTargetMismatch,
            $"the object is ELF class {value}, not ELF64; this host links only x86_64 ELF64 objects", origin),
        ElfProblem.WrongEndianness => BpfException.Create(DiagnosticCodes.NativeObjectTargetMismatch,
            "the object is not little-endian; this host links only little-endian x86_64 objects", origin),
        ElfProblem.WrongMachine => BpfException.Create(DiagnosticCodes.NativeObjectTargetMismatch,
            $"the object is compiled for {AotObjectFile.MachineName((ushort)value)} but this host is {AotLinker.HostArchitecture}; " +
            "compile it for x86_64 (e.g. --target x86_64-linux-gnu)", origin),
        ElfProblem.ExtendedNumbering => BpfException.Create(DiagnosticCodes.LinkUnsupportedSection, message, origin),
        ElfProblem.RelWithoutAddends => BpfException.Create(DiagnosticCodes.LinkUnsupportedRelocation, message, origin),
        _ => BpfException.Create(DiagnosticCodes.NativeObjectMalformed, $"the native object is malformed: {message}", origin),
    };
}
