using System.Buffers.Binary;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.X64;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Objects;
using Run = Bpftime.Compiler.Tests.InlineUpdateTests.Run;

namespace Bpftime.Compiler.Tests;

/// <summary>
/// The updates compiled code does beyond plain arrays, against the helper as the interpreter calls it:
/// per-CPU arrays (the running processor's copy) and plain and per-CPU hash maps (keys present) on
/// every compiled level, the jit included; the lock protocol hash updates share with the map (another thread holding
/// the lock makes the code wait for it through the helper); hostile pointers and disposed maps; the
/// execution budget of code that calls out to find its processor.
/// </summary>
public sealed class InlineHashAndPerCpuUpdateTests
{
    /// <summary>A hash map of 4-byte keys and 8-byte values holding keys 0 to 3 (value 0).</summary>
    private static HashMap FullHash(MapType type)
    {
        var map = new HashMap(new MapSpec("hash", type, 4, 8, 4));
        for (var key = 0; key < 4; key++)
        {
            Assert.Equal(0, map.Update(BitConverter.GetBytes(key), new byte[8], MapUpdateFlags.NoExist));
        }
        return map;
    }

    private static PerCpuArrayMap PerCpuArray(uint valueSize, bool readOnlyForPrograms = false) =>
        new(new MapSpec("percpu", MapType.PerCpuArray, 4, valueSize, 8) { IsReadOnlyForPrograms = readOnlyForPrograms });

    [SkippableTheory]
    [MemberData(nameof(InlineUpdateTests.ValueSizes), MemberType = typeof(InlineUpdateTests))]
    public void PerCpuArrayUpdatesMatchTheHelperForEveryValueSize(uint valueSize, bool verified) =>
        InlineUpdateTests.AssertSameAsHelper(() => PerCpuArray(valueSize), verified);

    [SkippableTheory]
    [MemberData(nameof(InlineLookupTests.Modes), MemberType = typeof(InlineLookupTests))]
    public void APerCpuArrayReadOnlyForProgramsIsLeftToTheHelper(bool verified) =>
        InlineUpdateTests.AssertSameAsHelper(() => PerCpuArray(8, readOnlyForPrograms: true), verified);

    [SkippableTheory]
    [MemberData(nameof(InlineLookupTests.Modes), MemberType = typeof(InlineLookupTests))]
    public void ADisposedPerCpuArrayIsUpdatedByNeitherTheCodeNorTheHelper(bool verified) =>
        InlineUpdateTests.AssertDisposedMapIsLeftAlone(() => PerCpuArray(8), verified);

    [SkippableTheory]
    [MemberData(nameof(InlineUpdateTests.HostilePointers), MemberType = typeof(InlineUpdateTests))]
    public void HostilePointersToAPerCpuUpdateAreRefusedAsTheHelperRefusesThem(string what) =>
        InlineUpdateTests.AssertHostilePointersRefused(what, () => PerCpuArray(8));

    /// <summary>
    /// Checked code looping forever over a per-CPU lookup and update, which call out to find the
    /// processor: every level stops it when the budget is spent (the call must not give the budget back).
    /// </summary>
    [SkippableFact]
    public void PerCpuLookupsAndUpdatesInAnEndlessLoopAreStoppedByTheBudget()
    {
        LlvmRequirement.SkipIfMissing();
        Instruction[] program =
        [
            new(0x62, 10, 0, -4, 0),           // *(u32 *)(r10 - 4) = 0: the key
            new(0x7a, 10, 0, -16, 7),          // *(u64 *)(r10 - 16) = 7: the value
            .. Code.LoadImm64(1, 0, (byte)LoadImm64Source.MapByIndex),
            Code.Mov64Reg(2, 10),
            Code.Add64(2, -4),
            Code.Call(HelperIds.MapLookupElem),
            .. Code.LoadImm64(1, 0, (byte)LoadImm64Source.MapByIndex),
            Code.Mov64Reg(2, 10),
            Code.Add64(2, -4),
            Code.Mov64Reg(3, 10),
            Code.Add64(3, -16),
            Code.Mov64(4, 0),
            Code.Call(HelperIds.MapUpdateElem),
            Code.JeqImm(0, 0x7fff, 1),         // an exit no run reaches: updates return 0
            new(0x05, 0, 0, -15, 0),           // goto the first ld_imm64
            Code.Exit(),
        ];
        foreach (var level in InlineLookupTests.Compiled.Prepend(InlineLookupTests.Reference))
        {
            Skip.IfNot(level.Create().IsAvailable(out var why), why);
            using var map = PerCpuArray(8);
            var image = new ProgramImage("endless", program, StandardHelpers.CreateDefault()) { Maps = [map], Verified = false };
            using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel, ExecutionBudget = 10_000 });
            var run = Task.Run(() => executable.Run(new byte[8]));
            var ended = run.ContinueWith(_ => { }).Wait(TimeSpan.FromSeconds(60));
            if (!ended)
            {
                // Disposing the map ends the run (its next helper call refuses the map), so the test fails instead of hanging.
                map.Dispose();
                run.ContinueWith(_ => { }).Wait(TimeSpan.FromSeconds(60));
            }
            Assert.True(ended, $"{level}: a loop of 10,000 iterations did not end");
            var error = Assert.IsType<BpfException>(run.Exception?.InnerException);
            Assert.Equal(DiagnosticCodes.ExecutionBudgetExhausted, error.Code);
            // The updates ran: the copy of the processor (or processors) the loop ran on holds the value.
            Assert.Contains(Enumerable.Range(0, map.SlotCount), slot => System.Runtime.InteropServices.Marshal.ReadInt64(map.LookupSlot(0u, slot)) == 7);
        }
    }

    /// <summary>
    /// On a processor other than 0, every compiled level's update of a per-CPU array and a per-CPU hash
    /// map writes the copy of that processor (its number modulo the slot count) and no other.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(InlineLookupTests.Modes), MemberType = typeof(InlineLookupTests))]
    public void PerCpuUpdatesWriteTheCopyOfTheProcessorTheCodeRunsOn(bool verified)
    {
        LlvmRequirement.SkipIfMissing();
        using var pinned = OneProcessor.Last();
        var slot = OneProcessor.Processor % PerCpu.SlotCount;
        Skip.If(slot == 0, "the thread may run on processor 0 only, whose copy is slot 0 either way");
        foreach (var level in InlineLookupTests.Compiled)
        {
            Skip.IfNot(level.Create().IsAvailable(out var why), why);
            foreach (var create in new Func<IPerCpuMap>[] { () => PerCpuArray(8), () => FullHash(MapType.PerCpuHash) })
            {
                var map = create();
                using var owned = (BpfMap)map;
                var image = new ProgramImage("update", InlineUpdateTests.UpdateProgram(), StandardHelpers.CreateDefault()) { Maps = [owned], Verified = verified };
                using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
                var bytes = new byte[8 * InlineUpdateTests.ValueWords];
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, 0x1234_5678_9ABC_DEF0UL);
                Assert.Equal(0UL, executable.Run(InlineUpdateTests.Context(new Run(1, MapUpdateFlags.Exist, 0, bytes))));
                for (var s = 0; s < map.SlotCount; s++)
                {
                    var copy = System.Runtime.InteropServices.Marshal.ReadInt64(map.LookupSlot(BitConverter.GetBytes(1), s));
                    Assert.True(copy == (s == slot ? 0x1234_5678_9ABC_DEF0L : 0), $"{level}, {owned.Type}: slot {s} holds 0x{copy:x} (the code runs in slot {slot})");
                }
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(InlineLookupTests.Modes), MemberType = typeof(InlineLookupTests))]
    public void ADisposedHashMapIsUpdatedByNeitherTheCodeNorTheHelper(bool verified)
    {
        InlineUpdateTests.AssertDisposedMapIsLeftAlone(() => FullHash(MapType.Hash), verified);
        InlineUpdateTests.AssertDisposedMapIsLeftAlone(() => FullHash(MapType.PerCpuHash), verified);
    }

    [SkippableTheory]
    [MemberData(nameof(InlineUpdateTests.HostilePointers), MemberType = typeof(InlineUpdateTests))]
    public void HostilePointersToAHashUpdateAreRefusedAsTheHelperRefusesThem(string what)
    {
        InlineUpdateTests.AssertHostilePointersRefused(what, () => FullHash(MapType.Hash));
        InlineUpdateTests.AssertHostilePointersRefused(what, () => FullHash(MapType.PerCpuHash));
    }

    [SkippableTheory]
    [MemberData(nameof(InlineUpdateTests.ValueSizes), MemberType = typeof(InlineUpdateTests))]
    public void PerCpuHashUpdatesMatchTheHelperForEveryValueSize(uint valueSize, bool verified)
    {
        InlineUpdateTests.AssertSameAsHelper(() => InlineUpdateTests.HalfFullHash(MapType.PerCpuHash, 4, valueSize, 16), verified);
        InlineUpdateTests.AssertSameAsHelper(() => InlineUpdateTests.HalfFullHash(MapType.PerCpuHash, 8, valueSize, 8), verified);
    }

    /// <summary>
    /// The test holds the map's lock word (as the map's own methods hold it): the code's one try fails,
    /// the helper waits for the lock, and the value is written only once the lock is free, on every
    /// compiled level.
    /// </summary>
    [SkippableTheory]
    [InlineData(MapType.Hash, true)]
    [InlineData(MapType.Hash, false)]
    [InlineData(MapType.PerCpuHash, true)]
    [InlineData(MapType.PerCpuHash, false)]
    public unsafe void AHashUpdateWaitsWhileAnotherThreadHoldsTheMapsLock(MapType type, bool verified)
    {
        LlvmRequirement.SkipIfMissing();
        foreach (var level in InlineLookupTests.Compiled)
        {
            Skip.IfNot(level.Create().IsAvailable(out var why), why);
            using var map = FullHash(type);
            var image = new ProgramImage("update", InlineUpdateTests.UpdateProgram(), StandardHelpers.CreateDefault()) { Maps = [map], Verified = verified };
            using var executable = level.Create().Load(image, new EngineOptions { OptimizationLevel = level.OptimizationLevel });
            var lockWord = (int*)((nint*)map.StorageCell)[1];
            Assert.True(lockWord != null, "a plain hash map offers its lock word to compiled code");
            var bytes = new byte[8 * InlineUpdateTests.ValueWords];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, 0x5555_6666_7777_8888UL);
            var context = InlineUpdateTests.Context(new Run(2, MapUpdateFlags.Exist, 0, bytes));
            // Key 2's copies (one for a plain map): the run may be on any processor.
            var copies = Enumerable.Range(0, map.SlotCount).Select(slot => (nint)map.LookupSlot(BitConverter.GetBytes(2), slot)).ToArray();
            bool Written() => copies.Any(copy => Volatile.Read(ref *(ulong*)copy) == 0x5555_6666_7777_8888UL);

            Assert.Equal(0, Interlocked.CompareExchange(ref *lockWord, 1, 0));
            var run = Task.Run(() => executable.Run(context));
            try
            {
                Assert.False(run.Wait(TimeSpan.FromMilliseconds(300)), $"{level}: the update finished while another thread held the map's lock");
                Assert.False(Written(), $"{level}: the value was written while another thread held the map's lock");
            }
            finally
            {
                Volatile.Write(ref *lockWord, 0);
            }
            Assert.True(run.Wait(TimeSpan.FromSeconds(60)), $"{level}: the update did not finish once the lock was free");
            Assert.Equal(0UL, run.Result);
            Assert.True(Written(), $"{level}: the update returned 0 but no copy holds the value");
            Assert.Equal(0, Volatile.Read(ref *lockWord));
        }
    }

    [Fact]
    public void JitCodeDoesHashAndPerCpuUpdatesItselfOnlyForHashMapsAndPerCpuArraysWithSmallValues()
    {
        var bindings = new JitBindings(0, h => h.NativeEntry, _ => 0);
        Instruction[] program = InlineUpdateTests.UpdateWith([Code.Mov64Reg(2, 10), Code.Add64(2, -8), Code.Mov64Reg(3, 10), Code.Add64(3, -16)]);
        bool ReadsTheCell(BpfMap map)
        {
            using (map)
            {
                // The code reads the map's cell (movabs of its address) only where it does the update itself.
                var compiled = X64Compiler.Compile(new ProgramImage("update", program, StandardHelpers.CreateDefault()) { Maps = [map], Verified = true }, bindings);
                return compiled.Code.AsSpan().IndexOf(BitConverter.GetBytes((long)map.StorageCell)) >= 0;
            }
        }
        Assert.True(ReadsTheCell(new HashMap(new MapSpec("h", MapType.Hash, 4, 40, 8))));
        Assert.True(ReadsTheCell(new HashMap(new MapSpec("h", MapType.Hash, 8, 8, 8))));
        Assert.False(ReadsTheCell(new HashMap(new MapSpec("h", MapType.Hash, 4, 64, 8))));
        Assert.False(ReadsTheCell(new HashMap(new MapSpec("h", MapType.Hash, 2, 8, 8))));
        Assert.True(ReadsTheCell(new HashMap(new MapSpec("h", MapType.PerCpuHash, 4, 8, 8))));
        Assert.True(ReadsTheCell(new HashMap(new MapSpec("h", MapType.LruHash, 4, 8, 8))));
        Assert.True(ReadsTheCell(new HashMap(new MapSpec("h", MapType.LruPerCpuHash, 8, 40, 8))));
        Assert.False(ReadsTheCell(new HashMap(new MapSpec("h", MapType.LruHash, 4, 72, 8))));
        Assert.True(ReadsTheCell(PerCpuArray(40)));
        Assert.False(ReadsTheCell(PerCpuArray(72)));
    }
}
