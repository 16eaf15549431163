using System.Buffers.Binary;
using Bpftime.Diagnostics;
using Bpftime.Hosting;
using Bpftime.Maps;
using Bpftime.Tests.Objects;

namespace Bpftime.Tests.Hosting;

/// <summary>
/// Read-only global data (.rodata) is frozen once its object is loaded: programs were verified
/// against its bytes (global_data.bpf.c indexes `table` with them in mind), so the host may read it
/// but every write path is refused, as the kernel refuses writes to a frozen map. Writable sections
/// stay writable.
/// </summary>
public sealed class FrozenReadOnlyDataTests
{
    public static TheoryData<string> Engines() => new("interpreter", "jit");

    [Theory]
    [MemberData(nameof(Engines))]
    public void TheHostReadsReadOnlyDataAfterTheLoadButCannotChangeIt(string engine)
    {
        using var loaded = BpfObject.Load(TestObjects.ObjectPath("global_data"), new BpfLoadOptions { Engine = engine, ReadEnvironment = false, ContextSize = 1 });
        var rodata = (ArrayMap)loaded.Maps[".rodata"];
        Assert.True(rodata.IsFrozen);
        var before = rodata.ReadValue(0).ToArray();
        Assert.Equal(300, BinaryPrimitives.ReadInt32LittleEndian(before.AsSpan(8)));

        var replacement = new byte[rodata.ValueSize];
        BinaryPrimitives.WriteInt32LittleEndian(replacement.AsSpan(8), 1_000_000);
        Assert.Equal(-Errno.EPERM, rodata.Update(BitConverter.GetBytes(0u), replacement, MapUpdateFlags.Any));
        Assert.Equal(-Errno.EPERM, rodata.Update(0, replacement, MapUpdateFlags.Any));
        Assert.Equal(DiagnosticCodes.ReadOnlyDataFrozen, Assert.Throws<BpfException>(() => rodata.GetValue(0)).Code);

        var view = BpfMapViews.AsArray<Table>(rodata);
        Assert.Equal(DiagnosticCodes.ReadOnlyDataFrozen, Assert.Throws<BpfException>(() => view.GetRef(0)).Code);
        Assert.Equal(DiagnosticCodes.ReadOnlyDataFrozen, Assert.Throws<BpfException>(() => view[0u] = new Table(1, 2, 3, 4)).Code);
        Assert.Equal(-Errno.EPERM, view.Update(0, new Table(1, 2, 7, 4)));
        Assert.Equal(300, view.GetReadOnlyRef(0).Third);
        Assert.Equal(300, view[0].Third);
        Assert.Equal(before, rodata.ReadValue(0).ToArray());

        // The program still sees the bytes it was verified against: 42 * 10 + table[2] + 'f' + 2 * 103.
        Assert.Equal(1028UL, loaded.Programs["read_globals"].Run([2]));
    }

    [Fact]
    public void WritableSectionsStayWritableAfterTheLoad()
    {
        using var loaded = BpfObject.Load(TestObjects.ObjectPath("global_data"), new BpfLoadOptions { Engine = "interpreter", ReadEnvironment = false, ContextSize = 1 });
        var data = (ArrayMap)loaded.Maps[".data"];
        Assert.False(data.IsFrozen);
        BinaryPrimitives.WriteInt32LittleEndian(data.GetValue(0), 99);
        // counter becomes 100: 100 * 10 + 300 + 'f' + 2 * 103.
        Assert.Equal(1608UL, loaded.Programs["read_globals"].Run([2]));
    }

    private readonly record struct Table(int First, int Second, int Third, int Fourth);
}
