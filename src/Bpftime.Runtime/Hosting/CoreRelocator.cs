using Bpftime.Diagnostics;
using Bpftime.Isa;
using Bpftime.Objects;

namespace Bpftime.Hosting;

/// <summary>
/// Resolves a program's CO-RE relocations against the context types the host declared
/// (<see cref="BpfContextType"/>): a relocation whose root struct (its name without a ___flavor
/// suffix) the host declared gets the host's field offsets, sizes and existence; every other
/// relocation keeps the value the compiler wrote, that is the program's own layout. Nested members
/// are named with dots ("inner.count") in the host's declaration.
/// </summary>
internal static class CoreRelocator
{
    public static Instruction[] Apply(BpfProgramInfo program, Btf? btf, IReadOnlyList<BpfContextType>? types, string? origin)
    {
        var code = program.ToArray();
        if (types is null || types.Count == 0 || btf is null || program.CoreRelocations.Count == 0)
        {
            return code;
        }
        foreach (var relocation in program.CoreRelocations)
        {
            if (relocation.InstructionIndex < 0 || relocation.InstructionIndex >= code.Length
                || !btf.TryGetType(relocation.TypeId, out _))
            {
                continue;
            }
            var root = btf.SkipModifiers(relocation.TypeId);
            var target = types.FirstOrDefault(t => t.Name == WithoutFlavor(root.Name));
            if (target is null)
            {
                continue;
            }
            long? value = relocation.Kind switch
            {
                CoreRelocationKind.TypeExists or CoreRelocationKind.TypeMatches => 1,
                CoreRelocationKind.TypeSize => target.Size,
                CoreRelocationKind.FieldByteOffset or CoreRelocationKind.FieldByteSize or CoreRelocationKind.FieldExists =>
                    FieldValue(relocation, btf, root, target, program, origin),
                _ => null,
            };
            if (value is { } resolved)
            {
                code[relocation.InstructionIndex] = Patch(code[relocation.InstructionIndex], resolved, relocation, program, origin);
            }
        }
        return code;
    }

    private static long? FieldValue(BpfCoreRelocation relocation, Btf btf, BtfType root, BpfContextType target, BpfProgramInfo program, string? origin)
    {
        var parts = relocation.AccessString.Split(':');
        if (parts.Length < 2 || !int.TryParse(parts[0], out var element))
        {
            return null;
        }
        var names = new List<string>();
        var current = root;
        for (var i = 1; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], out var index) || current.Kind is not (BtfKind.Struct or BtfKind.Union) || index < 0 || index >= current.Members.Count)
            {
                throw Unresolved(relocation, program, origin, $"access string '{relocation.AccessString}' does not walk struct members of '{root.Name}'");
            }
            var member = current.Members[index];
            names.Add(member.Name);
            current = btf.SkipModifiers(member.TypeId);
        }
        var name = string.Join('.', names);
        var field = target.Find(name);
        return relocation.Kind switch
        {
            CoreRelocationKind.FieldExists => field is null ? 0 : 1,
            _ when field is null => throw Unresolved(relocation, program, origin,
                $"the host's context '{target.Name}' declares no field '{name}'; declare it, or guard the access with bpf_core_field_exists"),
            CoreRelocationKind.FieldByteOffset => ((long)element * target.Size) + field.Offset,
            _ => field.Size,
        };
    }

    private static Instruction Patch(Instruction instruction, long value, BpfCoreRelocation relocation, BpfProgramInfo program, string? origin)
    {
        if (instruction.Class is InstructionClass.Ldx or InstructionClass.St or InstructionClass.Stx)
        {
            if (value is < short.MinValue or > short.MaxValue)
            {
                throw Unresolved(relocation, program, origin, $"offset {value} does not fit a memory instruction");
            }
            return instruction.WithOffset((short)value);
        }
        if (instruction.IsAlu || instruction.IsLoadImm64)
        {
            return instruction.WithImm((int)value);
        }
        throw Unresolved(relocation, program, origin, $"instruction {relocation.InstructionIndex} (opcode 0x{instruction.Opcode:x2}) cannot take a relocated value");
    }

    private static string WithoutFlavor(string name)
    {
        var flavor = name.IndexOf("___", StringComparison.Ordinal);
        return flavor > 0 ? name[..flavor] : name;
    }

    private static BpfException Unresolved(BpfCoreRelocation relocation, BpfProgramInfo program, string? origin, string why) =>
        BpfException.Create(DiagnosticCodes.CoreRelocationUnresolved,
            $"CO-RE relocation {relocation.Kind} at instruction {relocation.InstructionIndex}: {why}", origin, program.Name, relocation.InstructionIndex);
}
