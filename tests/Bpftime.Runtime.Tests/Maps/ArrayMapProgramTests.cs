using System.Buffers.Binary;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Tests.Maps;

public class ArrayMapProgramTests
{
    private static byte[] Context(uint key, ulong value, ulong flags)
    {
        var context = new byte[32];
        BinaryPrimitives.WriteUInt32LittleEndian(context, key);
        BinaryPrimitives.WriteUInt64LittleEndian(context.AsSpan(8), value);
        BinaryPrimitives.WriteUInt64LittleEndian(context.AsSpan(24), flags);
        return context;
    }

    private static ulong Errno(int errno) => unchecked((ulong)-errno);

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public unsafe void ArraysAnswerProgramsWithTheKernelsCodes(string engine)
    {
        using var array = ArrayMap.Create("a", 8, 4);
        using var update = TestEngines.Load(engine, MapPrograms.CallOnContext(HelperIds.MapUpdateElem), [array]);
        using var delete = TestEngines.Load(engine, MapPrograms.CallOnContext(HelperIds.MapDeleteElem), [array]);
        using var lookup = TestEngines.Load(engine, MapPrograms.CallOnContext(HelperIds.MapLookupElem), [array]);
        Assert.Equal(0UL, update.Run(Context(3, 99, MapUpdateFlags.Any)));
        Assert.Equal(0UL, update.Run(Context(3, 98, MapUpdateFlags.Exist)));
        Assert.Equal(Errno(Bpftime.Maps.Errno.EEXIST), update.Run(Context(3, 97, MapUpdateFlags.NoExist)));
        Assert.Equal(Errno(Bpftime.Maps.Errno.E2BIG), update.Run(Context(4, 1, MapUpdateFlags.Any)));
        Assert.Equal(Errno(Bpftime.Maps.Errno.EINVAL), update.Run(Context(0, 1, 8)));
        Assert.Equal(Errno(Bpftime.Maps.Errno.EINVAL), delete.Run(Context(0, 0, 0)));
        Assert.Equal(0UL, lookup.Run(Context(4, 0, 0)));
        Assert.Equal((ulong)array.Lookup(3), lookup.Run(Context(3, 0, 0)));
        Assert.Equal(98UL, *(ulong*)array.Lookup(3));
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public unsafe void PerCpuArraysTakeProgramUpdatesOnOneSlot(string engine)
    {
        using var array = new PerCpuArrayMap(new MapSpec("pa", MapType.PerCpuArray, 4, 8, 2));
        using var update = TestEngines.Load(engine, MapPrograms.CallOnContext(HelperIds.MapUpdateElem), [array]);
        Assert.Equal(0UL, update.Run(Context(1, 5, MapUpdateFlags.Any)));
        Assert.Equal(Errno(Bpftime.Maps.Errno.E2BIG), update.Run(Context(2, 5, MapUpdateFlags.Any)));
        ulong total = 0;
        var written = 0;
        for (var slot = 0; slot < array.SlotCount; slot++)
        {
            var value = *(ulong*)array.LookupSlot(1, slot);
            total += value;
            written += value == 0 ? 0 : 1;
        }
        Assert.Equal(5UL, total);
        Assert.Equal(1, written);
    }
}
