using Bpftime.Diagnostics;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Runtime.Tests.Maps;

public sealed class ArrayMapTests
{
    private static byte[] Key(uint index) => BitConverter.GetBytes(index);

    [Fact]
    public void ValuesAreZeroedAlignedAndStable()
    {
        using var map = ArrayMap.Create("counts", 12, 4);
        Assert.Equal(16UL, map.ValueStride);
        for (uint i = 0; i < 4; i++)
        {
            var address = map.Lookup(Key(i));
            Assert.NotEqual(0, address);
            Assert.Equal(0, address % 8);
            Assert.Equal(address, map.Lookup(i));
            Assert.All(map.GetValue(i).ToArray(), b => Assert.Equal(0, b));
        }
        var first = map.Lookup(0);
        Assert.Equal(0, map.Update(Key(0), new byte[12], MapUpdateFlags.Any));
        Assert.Equal(first, map.Lookup(0));
        Assert.Equal(first + 16, map.Lookup(1));
    }

    [Fact]
    public void LookupOutOfRangeGivesNull()
    {
        using var map = ArrayMap.Create("a", 4, 2);
        Assert.Equal(0, map.Lookup(Key(2)));
        Assert.Equal(0, map.Lookup(uint.MaxValue));
    }

    [Fact]
    public void UpdateFollowsTheKernelsFlagRules()
    {
        using var map = ArrayMap.Create("a", 4, 2);
        var value = new byte[] { 1, 2, 3, 4 };
        Assert.Equal(0, map.Update(Key(1), value, MapUpdateFlags.Any));
        Assert.Equal(value, map.GetValue(1).ToArray());
        Assert.Equal(0, map.Update(Key(1), new byte[] { 5, 6, 7, 8 }, MapUpdateFlags.Exist));
        Assert.Equal(new byte[] { 5, 6, 7, 8 }, map.GetValue(1).ToArray());
        // Every array entry exists, so "create only" always fails.
        Assert.Equal(-Errno.EEXIST, map.Update(Key(0), value, MapUpdateFlags.NoExist));
        Assert.Equal(-Errno.EINVAL, map.Update(Key(0), value, MapUpdateFlags.Lock));
        Assert.Equal(-Errno.EINVAL, map.Update(Key(0), value, 8));
        Assert.Equal(-Errno.E2BIG, map.Update(Key(2), value, MapUpdateFlags.Any));
        Assert.All(map.GetValue(0).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void EntriesCannotBeDeleted()
    {
        using var map = ArrayMap.Create("a", 4, 2);
        Assert.Equal(-Errno.EINVAL, map.Delete(Key(0)));
        Assert.Equal(-Errno.EINVAL, map.Delete(Key(7)));
    }

    [Fact]
    public void WrongKeyOrValueSizesAreDiagnosed()
    {
        using var map = ArrayMap.Create("a", 4, 2);
        Assert.Equal(DiagnosticCodes.ArrayMapWrongSize, Assert.Throws<BpfException>(() => map.Lookup(new byte[8])).Code);
        Assert.Equal(DiagnosticCodes.ArrayMapWrongSize, Assert.Throws<BpfException>(() => map.Update(Key(0), new byte[3], 0)).Code);
        Assert.Equal(DiagnosticCodes.ArrayMapWrongSize, Assert.Throws<BpfException>(() => map.Delete(new byte[2])).Code);
    }

    [Theory]
    [InlineData(8u, 4u, 1u)]
    [InlineData(4u, 0u, 1u)]
    [InlineData(4u, 4u, 0u)]
    [InlineData(4u, 0x10000000u, 0x100u)]
    public void ImpossibleLayoutsAreRefused(uint keySize, uint valueSize, uint maxEntries)
    {
        var fault = Assert.Throws<BpfException>(() => new ArrayMap(new MapSpec("bad", MapType.Array, keySize, valueSize, maxEntries)));
        Assert.Equal(DiagnosticCodes.InvalidArrayMapSpec, fault.Code);
        Assert.Contains("bad", fault.Message);
    }

    [Fact]
    public void OtherMapTypesAreRefused()
    {
        var fault = Assert.Throws<BpfException>(() => new ArrayMap(new MapSpec("h", MapType.Hash, 4, 4, 1)));
        Assert.Equal(DiagnosticCodes.ArrayMapWrongType, fault.Code);
    }

    [Fact]
    public void GlobalDataStartsWithItsInitialValue()
    {
        var spec = new MapSpec(".data", MapType.Array, 4, 6, 1) { InitialValue = new byte[] { 1, 2, 3 }, IsGlobalData = true };
        using var map = new ArrayMap(spec);
        Assert.Equal(new byte[] { 1, 2, 3, 0, 0, 0 }, map.GetValue(0).ToArray());

        var tooLong = spec with { InitialValue = new byte[7] };
        Assert.Equal(DiagnosticCodes.ArrayMapInitialValueTooLong, Assert.Throws<BpfException>(() => new ArrayMap(tooLong)).Code);
    }

    [Fact]
    public void DirectValueAddressesPointIntoTheFirstValue()
    {
        using var map = ArrayMap.Create(".bss", 16, 1);
        Assert.Equal(map.Lookup(0) + 5, map.DirectValueAddress(5));
        Assert.Equal(DiagnosticCodes.ArrayMapDirectValueOutOfRange, Assert.Throws<BpfException>(() => map.DirectValueAddress(16)).Code);
    }

    [Fact]
    public void ValueRegionsCoverTheValuesAndCarryTheWriteRule()
    {
        using var writable = ArrayMap.Create("w", 4, 3);
        var region = Assert.Single(writable.ValueRegions);
        Assert.Equal(writable.Lookup(0), region.Start);
        Assert.Equal(24UL, region.Length);
        Assert.True(region.Writable);

        using var rodata = new ArrayMap(new MapSpec(".rodata", MapType.Array, 4, 4, 1) { IsReadOnlyForPrograms = true });
        Assert.False(Assert.Single(rodata.ValueRegions).Writable);
        Assert.False(rodata.WritableByPrograms);

        using var flagged = new ArrayMap(new MapSpec("ro", MapType.Array, 4, 4, 1, Flags: ArrayMap.ReadOnlyForProgramsFlag));
        Assert.False(Assert.Single(flagged.ValueRegions).Writable);
    }

    [Fact]
    public void TheHandleLeadsBackToTheMap()
    {
        using var map = ArrayMap.Create("a", 4, 1);
        Assert.Same(map, BpfMap.FromHandle(map.Handle));
    }

    [Fact]
    public void DisposeFreesTheValues()
    {
        var map = ArrayMap.Create("a", 4, 1);
        map.Dispose();
        Assert.True(map.IsDisposed);
        Assert.Empty(map.ValueRegions);
        Assert.Throws<ObjectDisposedException>(() => map.Lookup(0));
        Assert.Throws<ObjectDisposedException>(() => map.Update(0, new byte[4], 0));
        map.Dispose();
    }
}
