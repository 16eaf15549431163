using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using Bpftime.Tests.Maps;
using static Bpftime.Tests.Engines.X64.Bpf;

namespace Bpftime.Tests.Helpers;

/// <summary>
/// The standard sets make each helper on first use: what a table holds, refuses and hands out must be
/// the same as for a table filled up front.
/// </summary>
public class StandardHelperSetTests
{
    // Linux's numbers of the helpers every standard set holds (uapi/linux/bpf.h), written out here.
    private static readonly int[] StandardIds =
        [1, 2, 3, 4, 5, 6, 7, 8, 12, 14, 15, 16, 23, 44, 45, 65, 87, 88, 89, 93, 94, 112, 113, 114, 115, 125, 130, 131, 132, 133, 134, 160, 164, 165, 177, 181, 182];

    // Host-memory readers: stand-ins outside "tracing".
    private static readonly int[] ProbeReadIds = [4, 45, 112, 113, 114, 115];

    public static TheoryData<string> SetNames => new(StandardHelpers.DefaultName, StandardHelpers.XdpName, StandardHelpers.TracingName);

    [Theory]
    [MemberData(nameof(SetNames))]
    public void ASetHoldsExactlyLinuxsStandardIdsBeforeAndAfterItsHelpersAreMade(string name)
    {
        var table = StandardHelpers.Create(name)!;
        Assert.Equal(StandardIds.Length, table.Count);
        Assert.Empty(table.Made());

        var enumerated = table.ToList();

        Assert.Equal(StandardIds, enumerated.Select(h => h.Id));
        Assert.Equal(StandardIds.Length, table.Count);
        Assert.Equal(StandardIds.Length, table.Made().Length);
        foreach (var helper in enumerated)
        {
            var declared = HelperCatalogue.Find(helper.Id)!;
            Assert.Equal(declared.Name, helper.Name);
            Assert.Equal(declared.Prototype.Signature, helper.Prototype.Signature);
            Assert.Same(helper, table.Find(helper.Id));
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(10)]
    [InlineData(183)]
    [InlineData(211)]
    [InlineData(999)]
    [InlineData(1000)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void AnIdOutsideTheSetIsNeitherFoundNorMade(int id)
    {
        var table = StandardHelpers.CreateDefault();

        Assert.False(table.TryGet(id, out _));
        Assert.Null(table.Find(id));
        Assert.Equal(StandardIds.Length, table.Count);
        Assert.Empty(table.Made());
    }

    [Fact]
    public void OnlyTheHelpersAskedForAreMade()
    {
        var table = StandardHelpers.CreateDefault();

        var lookup = table.Find(HelperIds.MapLookupElem)!;
        Assert.True(table.TryGet(HelperIds.KtimeGetNs, out var clock));

        Assert.Equal([HelperIds.MapLookupElem, HelperIds.KtimeGetNs], table.Made().Select(h => h.Id).Order());
        Assert.Same(MapHelpers.LookupElem, lookup);
        Assert.Same(TimeHelpers.KtimeGetNs, clock);
        Assert.Same(lookup, table.Find(HelperIds.MapLookupElem));
    }

    [Fact]
    public void HostMemoryHelpersAreStandInsOutsideTheTracingSet()
    {
        foreach (var id in ProbeReadIds)
        {
            Assert.Equal(StandardHelpers.TracingName, StandardHelpers.CreateDefault().Find(id)!.ProvidedOnlyBy);
            Assert.Equal(StandardHelpers.TracingName, StandardHelpers.CreateXdp().Find(id)!.ProvidedOnlyBy);
            Assert.Null(StandardHelpers.CreateTracing().Find(id)!.ProvidedOnlyBy);
        }
        Assert.Same(StringHelpers.Snprintf, StandardHelpers.CreateDefault().Find(HelperIds.Snprintf));
        Assert.Same(StringHelpers.SnprintfAnyAddress, StandardHelpers.CreateTracing().Find(HelperIds.Snprintf));
    }

    [Fact]
    public void AHelperReplacedBeforeItIsMadeIsNeverMadeAndTheReplacementStays()
    {
        var table = StandardHelpers.CreateDefault();
        var own = new HelperFunction(HelperIds.KtimeGetNs, (_, _, _, _, _) => 42);

        table.Add(own);

        Assert.Same(own, table.Find(HelperIds.KtimeGetNs));
        Assert.Equal(StandardIds.Length, table.Count);
        var enumerated = table.ToList();
        Assert.Same(own, enumerated.Single(h => h.Id == HelperIds.KtimeGetNs));
        Assert.Equal(StandardIds, enumerated.Select(h => h.Id));
    }

    [Fact]
    public void EachCallMakesAFreshTable()
    {
        var first = StandardHelpers.CreateDefault().AddHostHelper(1000, "host", HelperPrototype.Unchecked, (_, _, _, _, _) => 1);
        var second = StandardHelpers.CreateDefault();

        Assert.NotNull(first.Find(1000));
        Assert.Null(second.Find(1000));
        Assert.Equal(StandardIds.Length + 1, first.Count);
        Assert.Equal(StandardIds.Length, second.Count);
        Assert.NotSame(first.Find(HelperIds.TracePrintk), second.Find(HelperIds.TracePrintk));
    }

    [Fact]
    public void ThreadsAskingAtOnceGetTheSameHelper()
    {
        var table = StandardHelpers.CreateDefault();
        var seen = new HelperFunction?[16, StandardIds.Length];

        Parallel.For(0, 16, thread =>
        {
            for (var i = 0; i < StandardIds.Length; i++)
            {
                // Each thread walks the ids in a different order.
                var index = (i + (thread * 5)) % StandardIds.Length;
                seen[thread, index] = table.Find(StandardIds[index]);
            }
        });

        for (var index = 0; index < StandardIds.Length; index++)
        {
            var first = seen[0, index];
            Assert.NotNull(first);
            for (var thread = 1; thread < 16; thread++)
            {
                Assert.Same(first, seen[thread, index]);
            }
        }
        Assert.Equal(StandardIds.Length, table.Made().Length);
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void AProgramCallingAHelperTheSetLacksFailsAsWithAFilledTable(string engine)
    {
        foreach (var id in new[] { 9, 9999, HelperIds.FirstHostId })
        {
            var code = Program(Call(id), Exit());
            var filled = new HelperTable(StandardHelpers.DefaultName, [.. StandardHelpers.CreateDefault()]);

            var expected = Outcome(engine, code, filled);
            var outcome = Outcome(engine, code, StandardHelpers.CreateDefault());

            // Refused at load, or (unverified code on some engines) faulting at the call: never run.
            Assert.StartsWith("refused", expected, StringComparison.Ordinal);
            Assert.Equal(expected, outcome);
        }
    }

    private static string Outcome(string engine, Instruction[] code, HelperTable helpers)
    {
        IDisposable? loaded = null;
        try
        {
            var program = TestEngines.Load(engine, code, [], helpers);
            loaded = program;
            return $"ran: {program.Execute(0, 0)}";
        }
        catch (BpfException error)
        {
            return $"refused {(loaded is null ? "at load" : "at run")}: {error.Code}: {error.Message}";
        }
        finally
        {
            loaded?.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(TestEngines.Names), MemberType = typeof(TestEngines))]
    public void AProgramCallingAStandardHelperRunsIt(string engine)
    {
        // bpf_get_smp_processor_id() names one of the per-CPU slots: 7 when it does, else 0.
        using var program = TestEngines.Load(engine, Program(Call(HelperIds.GetSmpProcessorId), Jmp(JumpOperation.Jge, 0, PerCpu.SlotCount, 2), Mov64(0, 7), Exit(), Mov64(0, 0), Exit()),
            [], StandardHelpers.CreateDefault());

        Assert.Equal(7UL, program.Execute(0, 0));
    }
}
