using System.Runtime.InteropServices;
using Bpftime.Engines.Aot;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Linking.Native;
using Bpftime.Maps;
using Bpftime.Objects;
using Bpftime.Tests;

namespace Bpftime.Runtime.Tests.Engines.Aot;

/// <summary>The native objects under tests/data/aot (built by its build.sh) and the helper set they were written against.</summary>
internal static class AotTestObjects
{
    public static string Directory => Path.Combine(TestPaths.DataDirectory, "aot");

    public static byte[] Read(string name) => File.ReadAllBytes(Path.Combine(Directory, name));

    /// <summary>#1 add, #2 muladd, #3 check (stops the program on 0), #5 map_add.</summary>
    public static HelperTable Helpers() => new("aot-tests",
    [
        new HelperFunction(1, "add", HelperPrototype.Of(HelperReturnKind.Integer, HelperArgumentKind.Scalar, HelperArgumentKind.Scalar),
            (r1, r2, _, _, _) => r1 + r2),
        new HelperFunction(2, "muladd", HelperPrototype.Of(HelperReturnKind.Integer, HelperArgumentKind.Scalar, HelperArgumentKind.Scalar, HelperArgumentKind.Scalar),
            (r1, r2, r3, _, _) => (r1 * r2) + r3),
        new HelperFunction(3, "check", HelperPrototype.Of(HelperReturnKind.Integer, HelperArgumentKind.Scalar),
            (r1, _, _, _, _) => r1, stopsProgramOnZero: true),
        new HelperFunction(5, "map_add", HelperPrototype.Of(HelperReturnKind.Integer, HelperArgumentKind.ConstMapPointer, HelperArgumentKind.Scalar),
            MapAdd),
    ]);

    private static unsafe ulong MapAdd(ulong handle, ulong delta, ulong r3, ulong r4, ulong r5)
    {
        if (BpfMap.FromHandle((nint)handle) is not OneValueMap map)
        {
            return ulong.MaxValue;
        }
        var value = (ulong*)map.DirectValueAddress(0);
        *value += delta;
        return *value;
    }

    public static AotModule Link(string name, params BpfMap[] maps) =>
        AotLinker.Link(Read(name), new AotLinkOptions { Helpers = Helpers(), Maps = maps, Origin = name });
}

/// <summary>An array map of one entry with a fixed value block, as global data and BPF_MAP_TYPE_ARRAY with max 1 are.</summary>
internal sealed unsafe class OneValueMap : BpfMap
{
    private readonly byte* _value;

    public OneValueMap(string name, uint valueSize = 8, MapType type = MapType.Array)
        : base(new MapSpec(name, type, 4, valueSize, 1))
    {
        _value = (byte*)NativeMemory.AllocZeroed(valueSize);
    }

    public ulong FirstWord => *(ulong*)_value;

    public bool HasDirectValue { get; init; } = true;

    public override nint DirectValueAddress(uint offset) =>
        HasDirectValue && offset < Spec.ValueSize ? (nint)(_value + offset) : base.DirectValueAddress(offset);

    public override nint Lookup(ReadOnlySpan<byte> key) => key.Length == 4 && key[0] == 0 ? (nint)_value : 0;

    public override int Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        if (key.Length != 4 || value.Length != Spec.ValueSize)
        {
            return -22;
        }
        value.CopyTo(new Span<byte>(_value, value.Length));
        return 0;
    }

    public override int Delete(ReadOnlySpan<byte> key) => -22;

    public override IEnumerable<MemoryRegion> ValueRegions => [new MemoryRegion((nint)_value, Spec.ValueSize, true)];

    protected override void Dispose(bool disposing)
    {
        if (!IsDisposed)
        {
            NativeMemory.Free(_value);
        }
        base.Dispose(disposing);
    }
}
