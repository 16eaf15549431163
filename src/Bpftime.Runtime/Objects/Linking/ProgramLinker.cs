using Bpftime.Diagnostics;
using Bpftime.Elf;
using Bpftime.Isa;

namespace Bpftime.Objects.Linking;

/// <summary>
/// Lays out each program as libbpf does before loading: the program's own function, then every
/// function it reaches through calls or code addresses, each once; then rewrites calls to local
/// calls with offsets into that layout, and ld_imm64 of maps, global data and functions to the
/// index-based sources engines read (5, 6 and 4).
/// </summary>
internal sealed class ProgramLinker
{
    /// <summary>The most slots one linked program may have (the kernel's limit for privileged programs).</summary>
    public const int MaxProgramSlots = 1_000_000;

    private readonly ElfImage _elf;
    private readonly MapCatalog _maps;
    private readonly Dictionary<int, CodeSection> _codeSections;
    private readonly Btf? _btf;
    private readonly BtfExt? _ext;
    private readonly string? _file;

    public ProgramLinker(ElfImage elf, MapCatalog maps, Dictionary<int, CodeSection> codeSections, Btf? btf, BtfExt? ext, string? file)
    {
        _elf = elf;
        _maps = maps;
        _codeSections = codeSections;
        _btf = btf;
        _ext = ext;
        _file = file;
    }

    public BpfProgramInfo Link(CodeFunction main, ProgramType type)
    {
        var code = new List<Instruction>(main.Length);
        var placed = new List<(CodeFunction Function, int Base)>();
        var baseOf = new Dictionary<CodeFunction, int>();
        var subprograms = new List<(string Name, int Start)>();
        var builtins = new Dictionary<string, int>(StringComparer.Ordinal);

        int Place(CodeFunction function)
        {
            if (baseOf.TryGetValue(function, out var existing))
            {
                return existing;
            }
            var start = code.Count;
            if ((long)start + function.Length > MaxProgramSlots)
            {
                throw Error(DiagnosticCodes.ProgramTooLarge,
                    $"'{main.Name}' with the subprograms it calls exceeds {MaxProgramSlots} instruction slots", main.Name, start);
            }
            baseOf[function] = start;
            placed.Add((function, start));
            if (placed.Count > 1)
            {
                subprograms.Add((function.Name, start));
            }
            code.AddRange(function.Section.Code.AsSpan(function.Start, function.Length));
            return start;
        }

        // A compiler builtin (memset, ...) the object calls undefined: appended once per program.
        int PlaceBuiltin(string name, Instruction[] body, int at)
        {
            if (builtins.TryGetValue(name, out var existing))
            {
                return existing;
            }
            var start = code.Count;
            if ((long)start + body.Length > MaxProgramSlots)
            {
                throw Error(DiagnosticCodes.ProgramTooLarge,
                    $"'{main.Name}' with the subprograms it calls exceeds {MaxProgramSlots} instruction slots", main.Name, at);
            }
            builtins[name] = start;
            subprograms.Add((name, start));
            code.AddRange(body);
            return start;
        }

        int Resolve(CodeSection section, long slot, int at)
        {
            var function = slot >= 0 && slot < section.Code.Length ? section.FunctionContaining((int)slot) : null;
            if (function is null)
            {
                throw Error(DiagnosticCodes.CallTargetInvalid,
                    $"a call or code address in '{main.Name}' targets slot {slot} of '{section.Name}', which is not inside a function", main.Name, at);
            }
            return Place(function) + ((int)slot - function.Start);
        }

        Place(main);
        for (var p = 0; p < placed.Count; p++)
        {
            var (function, start) = placed[p];
            for (var k = 0; k < function.Length; k++)
            {
                var slot = function.Start + k;
                var at = start + k;
                var instruction = code[at];
                if (function.Section.Relocations.TryGetValue(slot, out var relocation))
                {
                    ApplyRelocation(function, relocation, code, at, main, Resolve, PlaceBuiltin);
                }
                else if (instruction.IsLocalCall)
                {
                    var target = Resolve(function.Section, (long)slot + instruction.Imm + 1, at);
                    code[at] = instruction.WithImm(target - (at + 1));
                }
                else if (instruction.IsLoadImm64 && instruction.Src != (byte)LoadImm64Source.Immediate)
                {
                    CheckUnrelocatedLoad(function, k, code, at, main, Resolve);
                }
                if (instruction.IsLoadImm64)
                {
                    k++;
                }
            }
        }

        var program = new BpfProgramInfo(main.Name, main.Section.Name, type, code.ToArray())
        {
            AttachTarget = ProgramSectionNames.AttachTarget(main.Section.Name),
            MainLength = main.Length,
            Subprograms = [.. subprograms],
        };
        program = AttachDebugInfo(program, placed);
        if (builtins.Count > 0)
        {
            // Diagnostics inside a builtin name it rather than the C line placed before it.
            var lines = builtins.Select(b => new BpfLineInfo(b.Value, string.Empty, CompilerBuiltins.Describe(b.Key), 0, 0));
            program = program with { LineInfo = [.. program.LineInfo.Concat(lines).OrderBy(l => l.InstructionIndex)] };
        }
        return program;
    }

    private void ApplyRelocation(CodeFunction function, ElfRelocation relocation, List<Instruction> code, int at, CodeFunction main,
        Func<CodeSection, long, int, int> resolve, Func<string, Instruction[], int, int> placeBuiltin)
    {
        var symbol = _elf.Symbols[relocation.SymbolIndex];
        var instruction = code[at];
        switch (relocation.Type)
        {
            case BpfRelocationType.R64_32 when !symbol.IsInSection && symbol.IsGlobal && CompilerBuiltins.TryGet(symbol.Name, out var body):
                {
                    var index = placeBuiltin(symbol.Name, body, at);
                    code[at] = new Instruction(instruction.Opcode, instruction.Dst, (byte)CallSource.Local, instruction.Offset, index - (at + 1));
                    break;
                }
            case BpfRelocationType.R64_32:
                {
                    var target = CodeSectionOf(symbol, main, at);
                    var slot = (long)(symbol.Value / Instruction.Size) + instruction.Imm + 1;
                    var index = resolve(target, slot, at);
                    code[at] = new Instruction(instruction.Opcode, instruction.Dst, (byte)CallSource.Local, instruction.Offset, index - (at + 1));
                    break;
                }
            case BpfRelocationType.R64_64:
                {
                    if ((long)(relocation.Offset / Instruction.Size) + 1 >= function.Start + function.Length)
                    {
                        throw Error(DiagnosticCodes.ObjectLoadImm64Truncated, $"ld_imm64 at the end of '{function.Name}' has no second slot", main.Name, at);
                    }
                    var next = code[at + 1];
                    if (!symbol.IsInSection)
                    {
                        throw Unresolved(symbol, main, at);
                    }
                    var section = _elf.Sections[symbol.SectionIndex];
                    if (_codeSections.TryGetValue(section.Index, out var target))
                    {
                        var byteOffset = (long)symbol.Value + instruction.Imm;
                        if (byteOffset % Instruction.Size != 0)
                        {
                            throw Error(DiagnosticCodes.CallTargetInvalid, $"a code address in '{main.Name}' is byte {byteOffset} of '{section.Name}', not an instruction boundary", main.Name, at);
                        }
                        var index = resolve(target, byteOffset / Instruction.Size, at);
                        code[at] = new Instruction(instruction.Opcode, instruction.Dst, (byte)LoadImm64Source.CodeAddress, instruction.Offset, index - (at + 1));
                        code[at + 1] = next.WithImm(0);
                    }
                    else if (MapCatalog.IsMapSection(section))
                    {
                        var offset = symbol.IsSection ? symbol.Value + (ulong)(long)instruction.Imm : symbol.Value;
                        if (!_maps.TryGetDeclared(section.Index, offset, out var mapIndex))
                        {
                            throw Error(DiagnosticCodes.MapNotFound, $"'{main.Name}' refers to '{symbol.Name}' at offset {offset} of '{section.Name}', where no map is declared", main.Name, at);
                        }
                        code[at] = new Instruction(instruction.Opcode, instruction.Dst, (byte)LoadImm64Source.MapByIndex, instruction.Offset, mapIndex);
                        code[at + 1] = next.WithImm(0);
                    }
                    else if (_maps.TryGetGlobalData(section.Index, out var regionIndex))
                    {
                        var offset = (long)symbol.Value + instruction.Imm;
                        if (offset < 0 || offset > section.Size)
                        {
                            throw Error(DiagnosticCodes.GlobalDataOffsetOutOfRange,
                                $"'{main.Name}' refers to byte {offset} of '{section.Name}', which is {section.Size} bytes long", main.Name, at);
                        }
                        code[at] = new Instruction(instruction.Opcode, instruction.Dst, (byte)LoadImm64Source.MapValueByIndex, instruction.Offset, regionIndex);
                        code[at + 1] = next.WithImm((int)offset);
                    }
                    else
                    {
                        throw Error(DiagnosticCodes.RelocationTargetUnsupported,
                            $"'{main.Name}' loads the address of '{symbol.Name}' in section '{section.Name}', which is neither a map, global data nor code", main.Name, at);
                    }
                    break;
                }
            default:
                // Absolute relocations in code carry nothing an engine needs; they were counted when the section was read.
                break;
        }
    }

    /// <summary>
    /// An ld_imm64 that already names a map, a map value or a code address without a relocation
    /// (hand-written assembly): its index must exist, and a code address is moved with its target.
    /// </summary>
    private void CheckUnrelocatedLoad(CodeFunction function, int k, List<Instruction> code, int at, CodeFunction main,
        Func<CodeSection, long, int, int> resolve)
    {
        if (k + 1 >= function.Length)
        {
            throw Error(DiagnosticCodes.ObjectLoadImm64Truncated, $"ld_imm64 at the end of '{function.Name}' has no second slot", main.Name, at);
        }
        var instruction = code[at];
        switch ((LoadImm64Source)instruction.Src)
        {
            case LoadImm64Source.MapByFd or LoadImm64Source.MapByIndex or LoadImm64Source.MapValueByFd or LoadImm64Source.MapValueByIndex:
                var byValue = instruction.Src is (byte)LoadImm64Source.MapValueByFd or (byte)LoadImm64Source.MapValueByIndex;
                if (instruction.Imm < 0 || instruction.Imm >= _maps.Maps.Count
                    || (byValue && (uint)code[at + 1].Imm > _maps.Maps[instruction.Imm].ValueSize))
                {
                    throw Error(DiagnosticCodes.MapNotFound,
                        $"ld_imm64 in '{main.Name}' names map {instruction.Imm} (offset {code[at + 1].Imm}) without a relocation, but the object has {_maps.Maps.Count} maps", main.Name, at);
                }
                break;
            case LoadImm64Source.CodeAddress:
                var target = resolve(function.Section, (long)function.Start + k + instruction.Imm + 1, at);
                code[at] = instruction.WithImm(target - (at + 1));
                break;
            default:
                // Variable addresses and unknown sources are the validator's to judge.
                break;
        }
    }

    private CodeSection CodeSectionOf(ElfSymbol symbol, CodeFunction main, int at)
    {
        if (!symbol.IsInSection)
        {
            throw Unresolved(symbol, main, at);
        }
        if (!_codeSections.TryGetValue(symbol.SectionIndex, out var section))
        {
            throw Error(DiagnosticCodes.CallTargetInvalid,
                $"'{main.Name}' calls '{symbol.Name}', which is not in a code section", main.Name, at);
        }
        if (symbol.Value % Instruction.Size != 0)
        {
            throw Error(DiagnosticCodes.CallTargetInvalid, $"'{main.Name}' calls '{symbol.Name}' at a misaligned address", main.Name, at);
        }
        return section;
    }

    private BpfException Unresolved(ElfSymbol symbol, CodeFunction main, int at) =>
        Error(DiagnosticCodes.UnresolvedExtern,
            $"'{main.Name}' refers to the undefined symbol '{symbol.Name}' (an extern variable or kernel function), which cannot be resolved outside the kernel",
            main.Name, at);

    private BpfException Error(string code, string message, string program, int instruction) =>
        BpfException.Create(code, message, _file, program, instruction);

    /// <summary>Records sorted by offset must all name an instruction of their section (checked on the last one and every misaligned one).</summary>
    private void CheckSection<T>(List<T> records, Func<T, uint> offsetOf, CodeSection section, string program)
    {
        if (records.Count == 0)
        {
            return;
        }
        var last = offsetOf(records[^1]);
        if (last / Instruction.Size >= (uint)section.Code.Length)
        {
            throw Error(DiagnosticCodes.BtfExtInstructionOutOfRange,
                $".BTF.ext names byte {last} of '{section.Name}', past its {section.Code.Length} instructions", program, 0);
        }
    }

    /// <summary>The records whose offsets lie in [first, end), from a list sorted by offset.</summary>
    private static IEnumerable<T> InRange<T>(List<T> records, Func<T, uint> offsetOf, uint first, uint end)
    {
        int low = 0, high = records.Count;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            if (offsetOf(records[middle]) < first)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }
        for (var i = low; i < records.Count && offsetOf(records[i]) < end; i++)
        {
            yield return records[i];
        }
    }

    private BpfProgramInfo AttachDebugInfo(BpfProgramInfo program, List<(CodeFunction Function, int Base)> placed)
    {
        if (_ext is null || _btf is null)
        {
            return program;
        }
        var lines = new List<BpfLineInfo>();
        var functions = new List<BpfFuncInfo>();
        var relocations = new List<BpfCoreRelocation>();
        foreach (var (function, start) in placed)
        {
            var section = function.Section;
            var first = (uint)function.Start * Instruction.Size;
            var end = (uint)(function.Start + function.Length) * Instruction.Size;
            int Index(uint byteOffset) => start + (int)(byteOffset / Instruction.Size) - function.Start;

            if (_ext.LineInfo.TryGetValue(section.Name, out var lineRecords))
            {
                CheckSection(lineRecords, r => r.InstructionOffset, section, program.Name);
                foreach (var record in InRange(lineRecords, r => r.InstructionOffset, first, end))
                {
                    lines.Add(new BpfLineInfo(Index(record.InstructionOffset), _btf.GetString(record.FileNameOffset), _btf.GetString(record.LineOffset),
                        (int)(record.LineColumn >> 10), (int)(record.LineColumn & 0x3ff)));
                }
            }
            if (_ext.FunctionInfo.TryGetValue(section.Name, out var functionRecords))
            {
                CheckSection(functionRecords, r => r.InstructionOffset, section, program.Name);
                foreach (var record in InRange(functionRecords, r => r.InstructionOffset, first, end))
                {
                    functions.Add(new BpfFuncInfo(Index(record.InstructionOffset), record.TypeId, _btf.GetType(record.TypeId).Name));
                }
            }
            if (_ext.CoreRelocations.TryGetValue(section.Name, out var coreRecords))
            {
                CheckSection(coreRecords, r => r.InstructionOffset, section, program.Name);
                foreach (var record in InRange(coreRecords, r => r.InstructionOffset, first, end))
                {
                    _btf.GetType(record.TypeId);
                    relocations.Add(new BpfCoreRelocation(Index(record.InstructionOffset), record.TypeId, _btf.GetString(record.AccessStringOffset), (CoreRelocationKind)record.Kind));
                }
            }
        }
        return program with
        {
            LineInfo = [.. lines.OrderBy(l => l.InstructionIndex)],
            FuncInfo = [.. functions.OrderBy(f => f.InstructionIndex)],
            CoreRelocations = [.. relocations.OrderBy(r => r.InstructionIndex)],
        };
    }
}
