using System.Reflection;
using System.Runtime.InteropServices;
using Bpftime.Diagnostics;

namespace Bpftime.Hosting;

/// <summary>
/// A context struct the host passes to programs by reference: its C name (as the program's BTF names
/// it), its size, and its fields with their offsets and whether programs may write them. Programs
/// compiled against another layout of the same struct are fixed up at load by CO-RE field relocations
///; at run time, read-only fields a program changed are
/// restored and reported.
/// </summary>
public sealed class BpfContextType
{
    private readonly List<BpfContextField> _fields = [];

    public BpfContextType(string name, int size)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        Name = name;
        Size = size;
    }

    /// <summary>The struct's name in C (without "struct").</summary>
    public string Name { get; }

    public int Size { get; }

    public IReadOnlyList<BpfContextField> Fields => _fields;

    /// <summary>Declares a field; fields are read-only unless <paramref name="writable"/>.</summary>
    public BpfContextType Field(string name, int offset, int size, bool writable = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (offset < 0 || size <= 0 || offset + size > Size)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InvalidContextType,
                $"context '{Name}': field '{name}' at offset {offset} of {size} bytes does not fit the struct's {Size} bytes"));
        }
        _fields.Add(new BpfContextField(name, offset, size, writable));
        return this;
    }

    /// <summary>
    /// The layout of <typeparamref name="T"/> (its public instance fields, by their C# names, which
    /// should match the C member names); <paramref name="writableFields"/> names the fields programs may write.
    /// </summary>
    public static BpfContextType For<T>(string name, params string[] writableFields)
        where T : unmanaged
    {
        var type = new BpfContextType(name, Marshal.SizeOf<T>());
        foreach (var field in typeof(T).GetFields(BindingFlags.Public | BindingFlags.Instance))
        {
            var offset = (int)Marshal.OffsetOf<T>(field.Name);
            var size = field.FieldType.IsEnum ? Marshal.SizeOf(Enum.GetUnderlyingType(field.FieldType)) : Marshal.SizeOf(field.FieldType);
            type.Field(field.Name, offset, size, writableFields.Contains(field.Name, StringComparer.Ordinal));
        }
        return type;
    }

    public BpfContextField? Find(string name) => _fields.FirstOrDefault(f => f.Name == name);

    internal void CheckSize(int size)
    {
        if (size != Size)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.InvalidContextType,
                $"context '{Name}' was declared with {Size} bytes, but the struct passed has {size}"));
        }
    }

    internal static byte[] SnapshotReadOnly(ReadOnlySpan<byte> context) => context.ToArray();

    internal void CheckReadOnly(Span<byte> context, byte[] before, string program)
    {
        List<string>? changed = null;
        foreach (var field in _fields)
        {
            if (field.Writable)
            {
                continue;
            }
            var now = context.Slice(field.Offset, field.Size);
            var then = before.AsSpan(field.Offset, field.Size);
            if (!now.SequenceEqual(then))
            {
                then.CopyTo(now);
                (changed ??= []).Add(field.Name);
            }
        }
        if (changed is not null)
        {
            throw new BpfException(new BpfDiagnostic(DiagnosticCodes.ReadOnlyContextFieldWritten,
                $"program '{program}' wrote the read-only field(s) {string.Join(", ", changed)} of context '{Name}'; they were restored. Declare them writable, or change the program",
                Program: program));
        }
    }
}
