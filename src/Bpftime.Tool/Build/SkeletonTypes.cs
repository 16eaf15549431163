using System.Globalization;
using System.Text;
using Bpftime.Build;
using Bpftime.Diagnostics;
using Bpftime.Objects;

namespace Bpftime.Tool.Build;

/// <summary>
/// The C# types of a skeleton, made from the object's BTF: integers, enums, floats and pointers become
/// C# primitives of the same size, structs and unions become <c>[StructLayout(Explicit)]</c> structs
/// with each member at its BTF offset, arrays become <c>[InlineArray]</c> structs. Every member's C#
/// size is checked against BTF as it is made; what cannot be laid out the same way (a member not on a
/// byte boundary that is not a bitfield, a size that does not match) is a BPF4120 error, so a skeleton
/// never compiles with a layout that differs from the program's.
/// </summary>
internal sealed class SkeletonTypes(Btf btf, HashSet<string> usedNames, string source, IReadOnlyDictionary<(string Section, string Name), ulong> symbols)
{
    private const string Layout = "global::System.Runtime.InteropServices";

    private readonly Dictionary<uint, CSharpType?> _byId = [];
    private readonly Dictionary<string, CSharpType> _arrays = new(StringComparer.Ordinal);
    private readonly List<string> _declarations = [];

    /// <summary>A C# type and its size in bytes (what <c>Unsafe.SizeOf</c> gives).</summary>
    public sealed record CSharpType(string Name, uint Size);

    /// <summary>The nested type declarations made so far, in the order they were made.</summary>
    public IReadOnlyList<string> Declarations => _declarations;

    /// <summary>
    /// The C# type of BTF type <paramref name="id"/> as a whole value of <paramref name="expectedSize"/>
    /// bytes (a map key or value), or null when BTF does not describe it (id 0, void, a function).
    /// </summary>
    public CSharpType? ValueType(uint id, uint expectedSize, string what)
    {
        if (id == 0 || !btf.TryGetType(id, out _))
        {
            return null;
        }
        var type = Map(id, null);
        if (type is not null && type.Size != expectedSize)
        {
            throw Mismatch($"{what} is {expectedSize} bytes but its BTF type {btf.TypeName(id)} maps to {type.Name} of {type.Size} bytes");
        }
        return type;
    }

    /// <summary>A struct for a global-data section (.bss, .data, .rodata): one field per variable, at its offset.</summary>
    public CSharpType SectionType(BtfType section, string name, uint size)
    {
        var fields = new List<(string Name, CSharpType Type, uint Offset, string Comment)>();
        foreach (var variable in section.Variables)
        {
            if (!btf.TryGetType(variable.TypeId, out var declared) || declared.Kind != BtfKind.Variable)
            {
                continue;
            }
            var type = Map(declared.TypeId, null);
            if (type is null || type.Size == 0)
            {
                continue;
            }
            // clang leaves the offsets in DATASEC for the loader to fill in from the symbol table, as libbpf does.
            var offset = symbols.TryGetValue((section.Name, declared.Name), out var value) ? value : variable.Offset;
            var expected = btf.ResolveSize(declared.TypeId);
            if (type.Size != expected || offset + expected > size)
            {
                throw Mismatch($"variable '{declared.Name}' of {section.Name} is {expected} bytes at offset {offset} (section {size} bytes) but maps to {type.Name} of {type.Size} bytes");
            }
            fields.Add((declared.Name, type, (uint)offset, btf.TypeName(declared.TypeId) + " " + declared.Name));
        }
        var unique = Unique(name);
        Declare(unique, size, fields, $"The {section.Name} section ({size} bytes): its variables at their offsets.");
        return new CSharpType(unique, size);
    }

    /// <summary>Where each named data symbol sits in its section, read from the object's symbol table.</summary>
    public static Dictionary<(string Section, string Name), ulong> DataSymbols(byte[] objectBytes, string path)
    {
        var elf = Elf.ElfImage.Parse(objectBytes, SymbolReadPolicy.Instance, path);
        var found = new Dictionary<(string Section, string Name), ulong>();
        foreach (var symbol in elf.Symbols)
        {
            if (symbol.Name.Length > 0 && symbol.SectionIndex > 0 && symbol.SectionIndex < elf.Sections.Count)
            {
                found.TryAdd((elf.Sections[symbol.SectionIndex].Name, symbol.Name), symbol.Value);
            }
        }
        return found;
    }

    private CSharpType? Map(uint id, string? suggested)
    {
        var type = btf.GetType(id);
        for (var steps = 0; steps < 64 && type.Kind is BtfKind.Typedef or BtfKind.Const or BtfKind.Volatile or BtfKind.Restrict or BtfKind.TypeTag; steps++)
        {
            if (type.Kind == BtfKind.Typedef)
            {
                suggested = type.Name;
            }
            id = type.TypeId;
            type = btf.GetType(id);
        }
        return type.Kind switch
        {
            BtfKind.Int => Integer(type.Size, type.Int?.IsSigned == true && type.Int?.IsChar != true && type.Int?.IsBool != true),
            BtfKind.Enum or BtfKind.Enum64 => Integer(type.Size, type.KindFlag),
            BtfKind.Float => type.Size switch { 4 => new("float", 4), 8 => new("double", 8), _ => Bytes(type.Size) },
            BtfKind.Pointer => new("ulong", 8),
            BtfKind.Array => ArrayOf(type),
            BtfKind.Struct or BtfKind.Union => Aggregate(id, type, suggested),
            _ => null,
        };
    }

    private static CSharpType? Integer(uint size, bool signed) => size switch
    {
        1 => new(signed ? "sbyte" : "byte", 1),
        2 => new(signed ? "short" : "ushort", 2),
        4 => new(signed ? "int" : "uint", 4),
        8 => new(signed ? "long" : "ulong", 8),
        _ => null,
    };

    private CSharpType? Bytes(uint size) => size == 0 ? null : InlineArray(new CSharpType("byte", 1), size);

    private CSharpType? ArrayOf(BtfType type)
    {
        var info = type.Array!;
        if (info.Count == 0)
        {
            return null;
        }
        var element = Map(info.ElementTypeId, null);
        if (element is null || element.Size == 0)
        {
            return null;
        }
        var expected = btf.ResolveSize(info.ElementTypeId);
        if (element.Size != expected)
        {
            throw Mismatch($"array element {btf.TypeName(info.ElementTypeId)} is {expected} bytes but maps to {element.Name} of {element.Size} bytes");
        }
        return InlineArray(element, info.Count);
    }

    private CSharpType InlineArray(CSharpType element, uint count)
    {
        var key = element.Name + "[" + count.ToString(CultureInfo.InvariantCulture) + "]";
        if (_arrays.TryGetValue(key, out var existing))
        {
            return existing;
        }
        var name = Unique(CSharpNames.PascalCase(element.Name) + "X" + count.ToString(CultureInfo.InvariantCulture));
        var code = new StringBuilder();
        code.AppendLine(CultureInfo.InvariantCulture, $"    /// <summary>{count} values of {Escape(element.Name)} in a row (a C array).</summary>");
        code.AppendLine(CultureInfo.InvariantCulture, $"    [global::System.Runtime.CompilerServices.InlineArray({count})]");
        code.AppendLine(CultureInfo.InvariantCulture, $"    public struct {name}");
        code.AppendLine("    {");
        code.AppendLine(CultureInfo.InvariantCulture, $"        private {element.Name} _element0;");
        code.AppendLine("    }");
        _declarations.Add(code.ToString());
        var made = new CSharpType(name, checked(element.Size * count));
        _arrays[key] = made;
        return made;
    }

    private CSharpType? Aggregate(uint id, BtfType type, string? suggested)
    {
        if (_byId.TryGetValue(id, out var known))
        {
            return known;
        }
        if (type.Size == 0)
        {
            _byId[id] = null;
            return null;
        }
        var name = Unique(CSharpNames.PascalCase(type.Name.Length > 0 ? type.Name : suggested ?? "Anonymous" + id.ToString(CultureInfo.InvariantCulture)));
        var made = new CSharpType(name, type.Size);
        // Known before its members are mapped, so a struct that points at itself (through a pointer, an ulong here) ends.
        _byId[id] = made;
        var fields = new List<(string Name, CSharpType Type, uint Offset, string Comment)>();
        AddMembers(type, 0, fields);
        var kind = type.Kind == BtfKind.Union ? "union" : "struct";
        Declare(name, type.Size, fields, $"C {kind} {Escape(type.Name.Length > 0 ? type.Name : suggested ?? "(anonymous)")} ({type.Size} bytes), laid out as BTF describes it.");
        return made;
    }

    /// <summary>The members of a struct or union at <paramref name="baseBits"/>; anonymous struct and union members are flattened, as C code names their fields directly.</summary>
    private void AddMembers(BtfType type, uint baseBits, List<(string Name, CSharpType Type, uint Offset, string Comment)> fields)
    {
        foreach (var member in type.Members)
        {
            var bits = baseBits + member.BitOffset;
            var target = btf.SkipModifiers(member.TypeId);
            if (member.Name.Length == 0 && target.Kind is BtfKind.Struct or BtfKind.Union)
            {
                AddMembers(target, bits, fields);
                continue;
            }
            if (member.BitfieldSize != 0)
            {
                // Bitfields have no C# counterpart: they stay in the struct's bytes, unnamed.
                continue;
            }
            if (bits % 8 != 0)
            {
                throw Mismatch($"member '{member.Name}' of {btf.TypeName(type.Id)} starts at bit {bits}, not on a byte boundary");
            }
            // An anonymous struct member is named after where it sits (flow_stats.range -> FlowStatsRange).
            var mapped = Map(member.TypeId, (type.Name.Length > 0 ? type.Name : "anonymous") + "_" + member.Name);
            if (mapped is null)
            {
                continue;
            }
            var expected = btf.ResolveSize(member.TypeId);
            if (mapped.Size != expected || bits / 8 + (ulong)expected > baseBits / 8 + (ulong)type.Size)
            {
                throw Mismatch($"member '{member.Name}' of {btf.TypeName(type.Id)} is {expected} bytes at offset {bits / 8} but maps to {mapped.Name} of {mapped.Size} bytes");
            }
            fields.Add((member.Name, mapped, bits / 8, btf.TypeName(member.TypeId) + " " + member.Name));
        }
    }

    private void Declare(string name, uint size, List<(string Name, CSharpType Type, uint Offset, string Comment)> fields, string summary)
    {
        var code = new StringBuilder();
        code.AppendLine(CultureInfo.InvariantCulture, $"    /// <summary>{summary}</summary>");
        code.AppendLine(CultureInfo.InvariantCulture, $"    [{Layout}.StructLayout({Layout}.LayoutKind.Explicit, Size = {size})]");
        code.AppendLine(CultureInfo.InvariantCulture, $"    public partial struct {name}");
        code.AppendLine("    {");
        var members = new HashSet<string>(StringComparer.Ordinal) { name };
        foreach (var field in fields)
        {
            var fieldName = CSharpNames.PascalCase(field.Name);
            for (var n = 2; !members.Add(fieldName); n++)
            {
                fieldName = CSharpNames.PascalCase(field.Name) + "Field" + (n == 2 ? "" : n.ToString(CultureInfo.InvariantCulture));
            }
            code.AppendLine(CultureInfo.InvariantCulture, $"        /// <summary>{Escape(field.Comment)}, offset {field.Offset}, size {field.Type.Size}.</summary>");
            code.AppendLine(CultureInfo.InvariantCulture, $"        [{Layout}.FieldOffset({field.Offset})] public {field.Type.Name} {fieldName};");
        }
        code.AppendLine("    }");
        _declarations.Add(code.ToString());
    }

    private string Unique(string name)
    {
        var candidate = name;
        for (var n = 2; !usedNames.Add(candidate); n++)
        {
            candidate = name + "Type" + (n == 2 ? "" : n.ToString(CultureInfo.InvariantCulture));
        }
        return candidate;
    }

    private BpfException Mismatch(string detail) =>
        BpfException.Create(DiagnosticCodes.SkeletonLayoutMismatch,
            $"the typed skeleton cannot lay out a C# struct the same way: {detail}; change the C type so that each member starts on a byte and has a whole number of bytes (bitfields are left out of the C# struct)", source);

    internal static string Escape(string text) => System.Security.SecurityElement.Escape(text) ?? "";

    /// <summary>Reads an object the object reader already accepted, for its symbol table alone.</summary>
    private sealed class SymbolReadPolicy : Elf.ElfReadPolicy
    {
        public static readonly SymbolReadPolicy Instance = new();

        public override bool AcceptsMachine(ushort machine) => machine is Elf.ElfImage.MachineBpf or Elf.ElfImage.MachineNone;

        public override BpfException Refuse(Elf.ElfProblem problem, string message, ulong value, string? origin) =>
            BpfException.Create(DiagnosticCodes.ElfWrongType, $"cannot read the symbol table for the skeleton: {message}", origin);
    }
}
