using System.Buffers.Binary;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Objects;

namespace Bpftime.Compiler.Tests;

/// <summary>
/// Compiled hash lookups decide by the key alone (they do not read the stored hash): a deleted
/// element keeps its key bytes in the key array, and a reused one gets another key, so a lookup of a
/// deleted key must still answer NULL on every level, as the helper does, and every key of a shared
/// bucket must find its own value.
/// </summary>
public sealed class InlineHashKeyCompareTests
{
    private const ulong Null = 0xDEAD;

    /// <summary>r0 = the u32 at the value of the 4-byte key ctx[0..4) (copied to r10 - 4), or 0xDEAD when the lookup gives NULL.</summary>
    private static Instruction[] Program() =>
    [
        new(0x61, 2, 1, 0, 0),          // r2 = *(u32 *)(r1 + 0)
        new(0x63, 10, 2, -4, 0),        // *(u32 *)(r10 - 4) = r2
        .. Code.LoadImm64(1, 0, (byte)LoadImm64Source.MapByIndex),
        Code.Mov64Reg(2, 10),
        Code.Add64(2, -4),
        Code.Call(HelperIds.MapLookupElem),
        Code.JeqImm(0, 0, 2),
        new(0x61, 0, 0, 0, 0),          // r0 = *(u32 *)(r0 + 0)
        Code.Exit(),
        Code.Mov64(0, (int)Null),
        Code.Exit(),
    ];

    [SkippableFact]
    public void DeletedAndReusedElementsAreNotFoundByTheirOldKeys()
    {
        LlvmRequirement.SkipIfMissing();
        foreach (var level in InlineLookupTests.Compiled.Prepend(InlineLookupTests.Reference))
        {
            // 16 keys in 16 buckets: several chains hold more than one key.
            using var map = new HashMap(new MapSpec("hash", MapType.Hash, 4, 8, 16));
            for (uint key = 0; key < 16; key++)
            {
                Assert.Equal(0, map.Update(BitConverter.GetBytes(key), BitConverter.GetBytes((ulong)(key * 3) + 1), 0));
            }
            var image = new ProgramImage("lookup", Program(), StandardHelpers.CreateDefault()) { Maps = [map], Verified = true };
            using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
            ulong Lookup(uint key)
            {
                var context = new byte[8];
                BinaryPrimitives.WriteUInt32LittleEndian(context, key);
                return executable.Run(context);
            }

            Assert.Equal(0, map.Delete(BitConverter.GetBytes(5u)));
            Assert.Equal(0, map.Delete(BitConverter.GetBytes(9u)));
            for (uint key = 0; key < 16; key++)
            {
                Assert.Equal(key is 5 or 9 ? Null : (key * 3) + 1, Lookup(key));
            }
            // The two freed elements are reused by other keys: their old keys stay absent.
            Assert.Equal(0, map.Update(BitConverter.GetBytes(100u), BitConverter.GetBytes(7UL), 0));
            Assert.Equal(0, map.Update(BitConverter.GetBytes(200u), BitConverter.GetBytes(8UL), 0));
            Assert.Equal(Null, Lookup(5));
            Assert.Equal(Null, Lookup(9));
            Assert.Equal(7UL, Lookup(100));
            Assert.Equal(8UL, Lookup(200));
            for (uint key = 0; key < 16; key++)
            {
                Assert.Equal(key is 5 or 9 ? Null : (key * 3) + 1, Lookup(key));
            }
        }
    }
}
