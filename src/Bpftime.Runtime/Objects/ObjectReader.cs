using System.Collections.Frozen;
using Bpftime.Diagnostics;
using Bpftime.Elf;
using Bpftime.Isa;
using Bpftime.Objects.Linking;

namespace Bpftime.Objects;

/// <summary>
/// Reads an eBPF object (an ELF relocatable for EM_BPF, or EM_NONE as old LLVM wrote it; or raw bytecode) into a
/// <see cref="BpfObjectFile"/> whose programs are linked and ready for an engine. Any problem
/// with the input ends in a <see cref="BpfException"/> with a BPF10xx code.
/// </summary>
public static class ObjectReader
{
    private const string TextSection = ".text";
    private const string LicenseSection = "license";

    /// <summary>Every opcode some configuration accepts, so that only undefined ones mark an input as not bytecode.</summary>
    private static readonly ValidationOptions PermissiveIsa = new() { AllowCallx = true, AllowKernelFunctionCalls = true };

    /// <summary>Reads an object from disk.</summary>
    public static BpfObjectFile ReadFile(string path)
    {
        EnsureNotDirectory(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.ObjectFileUnreadable, $"cannot read the object: {error.Message}", File: path), error);
        }
        return Read(bytes, path);
    }

    /// <summary>
    /// Refuses a directory given where an object file belongs (reading one fails with a misleading
    /// "access denied"). For callers that read the file themselves, such as the hosting loader.
    /// </summary>
    public static void EnsureNotDirectory(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            throw BpfException.Create(DiagnosticCodes.ObjectPathIsDirectory,
                "is a directory; give a file: an eBPF object (clang -target bpf -c) or raw bytecode (8-byte instructions)", path);
        }
    }

    /// <summary>Reads an object from its bytes; <paramref name="path"/> names it in diagnostics and names raw programs.</summary>
    public static BpfObjectFile Read(byte[] bytes, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (ElfImage.HasElfMagic(bytes))
        {
            try
            {
                return ReadElf(bytes, path);
            }
            catch (Exception error) when (error is not BpfException and (IndexOutOfRangeException or ArgumentException
                or InvalidOperationException or OverflowException or KeyNotFoundException or NullReferenceException or InvalidCastException))
            {
                // A safety net: every check above should have named the problem already.
                throw new BpfException(new BpfDiagnostic(DiagnosticCodes.ObjectMalformed, $"the object is malformed: {error.Message}", File: path), error);
            }
        }
        EnsureRawBytecode(bytes, path);
        return ReadRaw(bytes, path);
    }

    /// <summary>
    /// Raw bytecode has no header, so any file would pass as instructions: a text file or an object
    /// that is not ELF would then fail later with instruction errors that hide what was given. A file
    /// that is not ELF is raw bytecode only when it is not named like an object (.o), does not look
    /// like text, is a whole number of 8-byte instructions, and starts with an instruction the ISA
    /// defines; otherwise the message says which of these failed ("not ELF ... and not raw bytecode because ...").
    /// </summary>
    private static void EnsureRawBytecode(byte[] bytes, string? path)
    {
        const string NotElf = "the file is not ELF (no \\x7fELF magic) and not raw bytecode because";
        if (bytes.Length == 0)
        {
            throw NotRecognized("the file is empty; give an eBPF object (clang -target bpf -c) or raw bytecode (8-byte instructions)", path);
        }
        var looksLike = LooksLikeText(bytes) ? "text" : "binary data";
        if (path is not null && path.EndsWith(".o", StringComparison.OrdinalIgnoreCase))
        {
            throw NotRecognized($"{NotElf} it is named like an object (.o); it looks like {looksLike}. Give the object clang -target bpf -c wrote", path);
        }
        if (looksLike == "text")
        {
            throw NotRecognized($"the file is text: {NotElf["the file is ".Length..]} it has no zero bytes and nearly all are printable, while eBPF instructions are full of zero bytes; give an eBPF object (clang -target bpf -c) or a file of 8-byte instructions", path);
        }
        if (bytes.Length % Instruction.Size != 0)
        {
            throw NotRecognized($"{NotElf} its {bytes.Length} bytes are not a whole number of 8-byte instructions", path);
        }
        if (!FirstInstructionIsKnown(bytes))
        {
            throw NotRecognized($"{NotElf} its first 8 bytes are not an eBPF instruction (opcode 0x{bytes[0]:x2})", path);
        }
    }

    private static BpfException NotRecognized(string message, string? path) =>
        BpfException.Create(DiagnosticCodes.ObjectNotRecognized, message, path);

    /// <summary>
    /// Text when the first 4 KiB hold no NUL and nine bytes in ten are printable (bytes of 0x80 and
    /// above count, for UTF-8). Bytecode has zero bytes in nearly every instruction (unused registers,
    /// offsets, immediates), so a real program is never taken for text.
    /// </summary>
    private static bool LooksLikeText(ReadOnlySpan<byte> bytes)
    {
        var sample = bytes[..Math.Min(bytes.Length, 4096)];
        if (sample.Contains((byte)0))
        {
            return false;
        }
        var printable = 0;
        foreach (var b in sample)
        {
            if (b is (>= 0x20 and not 0x7f) or (byte)'\t' or (byte)'\n' or (byte)'\r')
            {
                printable++;
            }
        }
        return printable * 10 >= sample.Length * 9;
    }

    /// <summary>Whether the first instruction (both slots for lddw) has an opcode the ISA defines.</summary>
    private static bool FirstInstructionIsKnown(byte[] bytes)
    {
        var first = InstructionDecoder.Decode(bytes.AsSpan(0, Math.Min(bytes.Length, 2 * Instruction.Size)));
        return !ProgramValidator.Validate(first, PermissiveIsa).Any(d => d.Code == DiagnosticCodes.UnknownOpcode && d.InstructionIndex == 0);
    }

    private static BpfObjectFile ReadRaw(byte[] bytes, string? path)
    {
        var name = path is null ? "program" : Path.GetFileNameWithoutExtension(path);
        if (string.IsNullOrEmpty(name))
        {
            name = "program";
        }
        var instructions = InstructionDecoder.Decode(bytes, path);
        var program = new BpfProgramInfo(name, string.Empty, ProgramType.Unspecified, instructions) { MainLength = instructions.Length };
        return new BpfObjectFile(path, ObjectKind.RawBytecode, [program], []);
    }

    private static BpfObjectFile ReadElf(byte[] bytes, string? path)
    {
        var elf = ElfImage.Parse(bytes, BpfObjectElfPolicy.Instance, path);
        var warnings = new List<BpfDiagnostic>();
        if (elf.Machine == ElfImage.MachineNone)
        {
            warnings.Add(new BpfDiagnostic(DiagnosticCodes.ElfMachineNone,
                "ELF machine is 0 (EM_NONE), as old LLVM wrote it, rather than EM_BPF (247); the object is read as eBPF, as libbpf does",
                DiagnosticSeverity.Warning, path));
        }

        Btf? btf = null;
        var btfSection = elf.FindSection(".BTF");
        if (btfSection is not null && !btfSection.IsNoBits)
        {
            btf = Btf.Parse(elf.Contents(btfSection), path);
        }
        BtfExt? ext = null;
        var extSection = elf.FindSection(".BTF.ext");
        if (extSection is not null && btf is not null && !extSection.IsNoBits)
        {
            ext = BtfExt.Parse(elf.Contents(extSection), btf, path);
        }

        var maps = MapCatalog.Build(elf, btf, path);
        warnings.AddRange(maps.Warnings);
        var counts = new Dictionary<RelocationKind, int>();
        var codeSections = ReadCodeSections(elf, maps, counts, warnings, path);
        CountOtherRelocations(elf, codeSections, counts, warnings, path);

        var linker = new ProgramLinker(elf, maps, codeSections, btf, ext, path);
        var programs = new List<BpfProgramInfo>();
        var programSections = codeSections.Values.Where(s => s.Name != TextSection).OrderBy(s => s.Section.Index).ToList();
        if (programSections.Count > 0)
        {
            foreach (var section in programSections)
            {
                var type = ProgramSectionNames.Parse(section.Name);
                if (type == ProgramType.Unspecified)
                {
                    warnings.Add(new BpfDiagnostic(DiagnosticCodes.UnknownSectionName,
                        $"section '{section.Name}' is not a program section name libbpf knows; its programs have type Unspecified",
                        DiagnosticSeverity.Warning, path));
                }
                foreach (var function in section.Functions)
                {
                    programs.Add(linker.Link(function, type));
                }
            }
        }
        else if (codeSections.Values.FirstOrDefault(s => s.Name == TextSection) is { } text)
        {
            // A plain C object with no program sections: its global functions are the programs.
            var entries = text.Functions.Where(f => f.IsGlobal).ToList();
            if (entries.Count == 0)
            {
                entries = text.Functions;
            }
            foreach (var function in entries)
            {
                programs.Add(linker.Link(function, ProgramType.Unspecified));
            }
        }
        if (programs.Count == 0)
        {
            warnings.Add(new BpfDiagnostic(DiagnosticCodes.NoPrograms, "the object holds no program (no code section has instructions)",
                DiagnosticSeverity.Warning, path));
        }

        return new BpfObjectFile(path, ObjectKind.Elf, programs.ToArray(), maps.Maps.ToArray())
        {
            License = ReadLicense(elf),
            Btf = btf,
            RelocationCounts = counts.ToFrozenDictionary(),
            Warnings = warnings.ToArray(),
        };
    }

    private static string? ReadLicense(ElfImage elf)
    {
        var section = elf.FindSection(LicenseSection);
        if (section is null)
        {
            return null;
        }
        var contents = elf.Contents(section);
        var end = contents.IndexOf((byte)0);
        return System.Text.Encoding.UTF8.GetString(end < 0 ? contents : contents[..end]);
    }

    /// <summary>Decodes every executable section, splits it into functions, and checks its relocations.</summary>
    private static Dictionary<int, CodeSection> ReadCodeSections(ElfImage elf, MapCatalog maps, Dictionary<RelocationKind, int> counts,
        List<BpfDiagnostic> warnings, string? path)
    {
        var result = new Dictionary<int, CodeSection>();
        foreach (var section in elf.Sections)
        {
            if (!section.IsCode || section.Size == 0)
            {
                continue;
            }
            if (section.Size % Instruction.Size != 0)
            {
                throw BpfException.Create(DiagnosticCodes.ProgramSizeNotMultipleOfEight,
                    $"code section '{section.Name}' is {section.Size} bytes, not a whole number of 8-byte instructions", path);
            }
            var code = InstructionDecoder.Decode(elf.Contents(section), path);
            result[section.Index] = new CodeSection(section, code);
        }
        foreach (var codeSection in result.Values)
        {
            ReadFunctions(elf, codeSection, path);
            if (elf.Relocations.TryGetValue(codeSection.Section.Index, out var relocations))
            {
                foreach (var relocation in relocations)
                {
                    CheckCodeRelocation(elf, maps, result, codeSection, relocation, counts, warnings, path);
                }
            }
        }
        return result;
    }

    private static void ReadFunctions(ElfImage elf, CodeSection codeSection, string? path)
    {
        var slots = codeSection.Code.Length;
        var symbols = elf.Symbols
            .Where(s => s.IsFunction && s.SectionIndex == codeSection.Section.Index)
            .OrderBy(s => s.Value)
            .ToList();
        for (var i = 0; i < symbols.Count; i++)
        {
            var symbol = symbols[i];
            if (i > 0 && symbol.Value == symbols[i - 1].Value)
            {
                continue;
            }
            if (symbol.Value % Instruction.Size != 0 || symbol.Size % Instruction.Size != 0)
            {
                throw BpfException.Create(DiagnosticCodes.ProgramSizeNotMultipleOfEight,
                    $"function '{symbol.Name}' in '{codeSection.Name}' starts at byte {symbol.Value} with size {symbol.Size}; both must be multiples of 8", path);
            }
            var size = symbol.Size;
            if (size == 0)
            {
                // No size recorded: the function runs to the next one or to the end of the section.
                var nextStart = symbols.Skip(i + 1).Select(s => s.Value).FirstOrDefault(v => v > symbol.Value, (ulong)slots * Instruction.Size);
                size = nextStart > symbol.Value ? nextStart - symbol.Value : 0;
            }
            if (symbol.Value > (ulong)slots * Instruction.Size || size > (ulong)slots * Instruction.Size - symbol.Value || size == 0)
            {
                throw BpfException.Create(DiagnosticCodes.FunctionOutOfSection,
                    $"function '{symbol.Name}' ({size} bytes at byte {symbol.Value}) does not lie inside '{codeSection.Name}' ({slots * Instruction.Size} bytes)", path);
            }
            var start = (int)(symbol.Value / Instruction.Size);
            var length = (int)(size / Instruction.Size);
            var previous = codeSection.Functions.LastOrDefault();
            if (previous is not null && start < previous.Start + previous.Length)
            {
                throw BpfException.Create(DiagnosticCodes.FunctionOutOfSection,
                    $"function '{symbol.Name}' in '{codeSection.Name}' overlaps '{previous.Name}'", path);
            }
            codeSection.Functions.Add(new CodeFunction(codeSection, symbol.Name.Length > 0 ? symbol.Name : codeSection.Name, start, length, symbol.IsGlobal));
        }
        if (codeSection.Functions.Count == 0)
        {
            codeSection.Functions.Add(new CodeFunction(codeSection, codeSection.Name, 0, slots, true));
        }
    }

    private static void CheckCodeRelocation(ElfImage elf, MapCatalog maps, Dictionary<int, CodeSection> codeSections, CodeSection codeSection,
        ElfRelocation relocation, Dictionary<RelocationKind, int> counts, List<BpfDiagnostic> warnings, string? path)
    {
        var slots = codeSection.Code.Length;
        if (relocation.Offset % Instruction.Size != 0 || relocation.Offset / Instruction.Size >= (ulong)slots)
        {
            throw BpfException.Create(DiagnosticCodes.RelocationOutOfBounds,
                $"a relocation patches byte {relocation.Offset} of '{codeSection.Name}' ({slots * Instruction.Size} bytes), which is not an instruction of it", path);
        }
        var slot = (int)(relocation.Offset / Instruction.Size);
        var instruction = codeSection.Code[slot];
        var symbol = elf.Symbols[relocation.SymbolIndex];
        if (relocation.Type == BpfRelocationType.None && elf.Machine == ElfImage.MachineNone && (instruction.IsLoadImm64 || instruction.Opcode == Opcodes.Call))
        {
            // Old LLVM (the EM_NONE objects) wrote type 0 for map loads; libbpf decides by the instruction, and so do we.
            relocation = relocation with { Type = instruction.IsLoadImm64 ? BpfRelocationType.R64_64 : BpfRelocationType.R64_32 };
        }
        switch (relocation.Type)
        {
            case BpfRelocationType.R64_64:
                if (!instruction.IsLoadImm64)
                {
                    throw BpfException.Create(DiagnosticCodes.RelocationNotOnLoadImm64,
                        $"a 64-bit relocation against '{symbol.Name}' patches slot {slot} of '{codeSection.Name}', which holds {instruction} rather than ld_imm64", path, instruction: slot);
                }
                if (slot + 1 >= slots)
                {
                    throw BpfException.Create(DiagnosticCodes.ObjectLoadImm64Truncated, $"ld_imm64 at the last slot of '{codeSection.Name}' has no second slot", path, instruction: slot);
                }
                var target = symbol.IsInSection ? elf.Sections[symbol.SectionIndex] : null;
                var kind = target is null ? RelocationKind.Other
                    : codeSections.ContainsKey(target.Index) ? RelocationKind.CodeAddress
                    : MapCatalog.IsMapSection(target) ? RelocationKind.MapReference
                    : maps.TryGetGlobalData(target.Index, out _) ? RelocationKind.GlobalData
                    : RelocationKind.Other;
                Count(counts, kind);
                break;
            case BpfRelocationType.R64_32:
                if (instruction.Opcode != Opcodes.Call)
                {
                    throw BpfException.Create(DiagnosticCodes.RelocationNotOnCall,
                        $"a call relocation against '{symbol.Name}' patches slot {slot} of '{codeSection.Name}', which holds {instruction} rather than a call", path, instruction: slot);
                }
                Count(counts, RelocationKind.SubprogramCall);
                break;
            case BpfRelocationType.Abs64:
            case BpfRelocationType.Abs32:
            case BpfRelocationType.NoDyld32:
            case BpfRelocationType.None:
                Count(counts, Classify(relocation.Type));
                warnings.Add(new BpfDiagnostic(DiagnosticCodes.RelocationIgnored,
                    $"relocation type {relocation.Type} against '{symbol.Name}' in code section '{codeSection.Name}' is not applied",
                    DiagnosticSeverity.Warning, path, InstructionIndex: slot));
                return;
            default:
                throw BpfException.Create(DiagnosticCodes.UnsupportedRelocation,
                    $"relocation type {relocation.Type} in code section '{codeSection.Name}' is not one the BPF ELF ABI defines for code", path, instruction: slot);
        }
        codeSection.Relocations.TryAdd(slot, relocation);
    }

    /// <summary>Counts relocations outside code (debug info, BTF, data); warns where one would change what programs see.</summary>
    private static void CountOtherRelocations(ElfImage elf, Dictionary<int, CodeSection> codeSections, Dictionary<RelocationKind, int> counts,
        List<BpfDiagnostic> warnings, string? path)
    {
        foreach (var (sectionIndex, relocations) in elf.Relocations)
        {
            if (codeSections.ContainsKey(sectionIndex))
            {
                continue;
            }
            var section = elf.Sections[sectionIndex];
            foreach (var relocation in relocations)
            {
                Count(counts, Classify(relocation.Type));
            }
            // Those of .maps are the slots of program arrays and maps of maps, which MapCatalog reads.
            if (relocations.Count > 0 && (section.Flags & ElfSection.FlagAlloc) != 0 && section.Name != MapCatalog.BtfMapsSection)
            {
                warnings.Add(new BpfDiagnostic(DiagnosticCodes.RelocationIgnored,
                    $"{relocations.Count} relocation(s) in '{section.Name}' (pointers in data or map-in-map initial values) are not applied",
                    DiagnosticSeverity.Warning, path));
            }
        }
    }

    private static RelocationKind Classify(uint type) => type switch
    {
        BpfRelocationType.Abs64 => RelocationKind.Absolute64,
        BpfRelocationType.Abs32 => RelocationKind.Absolute32,
        BpfRelocationType.NoDyld32 => RelocationKind.NoDynamicLoad32,
        _ => RelocationKind.Other,
    };

    private static void Count(Dictionary<RelocationKind, int> counts, RelocationKind kind) =>
        counts[kind] = counts.TryGetValue(kind, out var count) ? count + 1 : 1;
}
