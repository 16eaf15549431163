using System.Runtime.InteropServices;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Aot;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Linking.Native;

namespace Bpftime.Runtime.Tests.Engines.Aot;

public class AotLinkerRunTests
{
    private static readonly uint[] Primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53];
    private const string Message = "bpftime aot linker";

    [Theory]
    [InlineData("helpers.o")]
    [InlineData("helpers_meta.o")]
    [InlineData("helpers_nopic.o")]
    [InlineData("helpers_noplt.o")]
    public void ProgramCallingHelpersReturnsTheirResult(string name)
    {
        using var module = AotTestObjects.Link(name);
        var program = module.GetProgram(module.Programs.Single());
        Assert.Equal("aot", program.EngineName);
        Assert.Equal((5UL + 10) * 6 + 4, program.Execute(0, 5));
        Assert.Equal((0UL + 10) * 6 + 4, program.Execute(0, 0));
    }

    [Fact]
    public void MetadataNamesTheProgramAndNoWarningIsGiven()
    {
        using var module = AotTestObjects.Link("helpers_meta.o");
        Assert.NotNull(module.Metadata);
        Assert.Equal(["helpers"], module.Programs);
        Assert.Empty(module.Warnings);
        Assert.Equal("helpers.bpf.o", module.Metadata!.SourceName);
    }

    [Fact]
    public void ObjectWithoutMetadataLinksWithAWarningSayingWhatWasNotChecked()
    {
        using var module = AotTestObjects.Link("helpers.o");
        Assert.Null(module.Metadata);
        Assert.Equal(["bpf_main"], module.Programs);
        var warning = Assert.Single(module.Warnings);
        Assert.Equal(DiagnosticCodes.LinkMetadataAbsent, warning.Code);
        Assert.Equal(DiagnosticSeverity.Warning, warning.Severity);
        Assert.Contains("signatures", warning.Message);
        Assert.Contains("stack", warning.Message);
        Assert.Contains("map layouts", warning.Message);
        Assert.Contains("#1", warning.Message);
    }

    [Theory]
    [InlineData("loops.o")]
    [InlineData("loops_eh.o")]
    [InlineData("loops_common.o")]
    [InlineData("loops_norelax.o")]
    [InlineData("loops_nopic.o")]
    [InlineData("loops_large.o")]
    [InlineData("loops_large_pic.o")]
    public void LoopsRodataTablesAndGlobalsWork(string name)
    {
        using var module = AotTestObjects.Link(name);
        var program = module.GetProgram("bpf_main");
        var input = Enumerable.Range(0, 200).Select(i => (byte)(i * 37 + 11)).ToArray();
        Assert.Equal(ExpectedLoops(input, run: 1), program.Run(input));
        Assert.Equal(ExpectedLoops(input, run: 2), program.Run(input));
        Assert.Equal(ExpectedLoops([], run: 3), program.Run([]));
    }

    private static ulong ExpectedLoops(byte[] input, ulong run)
    {
        ulong sum = 0;
        foreach (var b in input)
        {
            ulong weight = (b % 7) switch
            {
                0 => 100,
                1 => 7UL * b,
                2 => (ulong)(b ^ 0x5a),
                3 => b + 1000UL,
                4 => Message[b % Message.Length],
                5 => (ulong)b << 3,
                _ => 1,
            };
            sum += Primes[b & 15] + weight;
        }
        return (sum * 3) + run;
    }

    [Theory]
    [InlineData("maps.o")]
    [InlineData("maps_meta.o")]
    [InlineData("maps_norelax.o")]
    [InlineData("maps_large.o")]
    [InlineData("maps_large_pic.o")]
    public void MapHandleAndValueSymbolsBindToTheRuntimesMap(string name)
    {
        using var map = new OneValueMap("totals");
        using var module = AotTestObjects.Link(name, map);
        var program = module.GetProgram(module.Programs.Single());
        Assert.Equal(108UL, program.Execute(0, 4)); // 2*4 directly, then +100 through the handle
        Assert.Equal(217UL, program.Execute(0, 3)); // 3*3, then +100
        Assert.Equal(217UL, map.FirstWord);
    }

    [Fact]
    public void MetadataMapsBindByNameWhateverTheirOrder()
    {
        using var other = new OneValueMap("other", valueSize: 32);
        using var map = new OneValueMap("totals");
        using var module = AotTestObjects.Link("maps_meta.o", other, map);
        Assert.Equal(108UL, module.GetProgram("count").Execute(0, 4));
        Assert.Equal(108UL, map.FirstWord);
        Assert.Equal(0UL, other.FirstWord);
    }

    [Fact]
    public void EveryGlobalFunctionIsAProgramAndAnUnresolvedWeakSymbolIsNull()
    {
        using var module = AotTestObjects.Link("multi.o");
        Assert.Equal(["first", "second"], module.Programs.Order());
        Assert.Equal(12UL, module.GetProgram("first").Execute(0, 5)); // optional_hook is null: len + 7
        Assert.Equal(10UL, module.GetProgram("second").Execute(0, 5));
    }

    [Theory]
    [InlineData("builtins.o")]
    [InlineData("builtins_ssp.o")]
    public void BuiltinsCopyFillMoveAndCompare(string name)
    {
        using var module = AotTestObjects.Link(name);
        var program = module.GetProgram("bpf_main");
        foreach (var input in new[] { Enumerable.Range(1, 100).Select(i => (byte)(i * 3)).ToArray(), Enumerable.Repeat((byte)7, 40).ToArray(), new byte[] { 9 } })
        {
            var expectedBytes = (byte[])input.Clone();
            var expected = ExpectedBuiltins(expectedBytes);
            var actual = (byte[])input.Clone();
            Assert.Equal(expected, program.Run(actual));
            Assert.Equal(expectedBytes, actual);
        }
    }

    private static ulong ExpectedBuiltins(byte[] bytes)
    {
        var len = bytes.Length;
        var buffer = Enumerable.Repeat((byte)0x11, 256).ToArray();
        bytes.CopyTo(buffer, 0);
        Array.Copy(buffer, 0, buffer, 1, len);
        Array.Copy(bytes, 1, bytes, 0, len - 1);
        ulong sum = 0;
        for (var i = 0; i < len + 2; i++)
        {
            sum = unchecked((sum * 31) + buffer[i]);
        }
        if (buffer.AsSpan(1, len).SequenceEqual(bytes))
        {
            sum++;
        }
        return sum;
    }

    [Fact]
    public void HelperByIdDispatchesThroughTheActiveTable()
    {
        using var module = AotTestObjects.Link("callx.o");
        var program = module.GetProgram("bpf_main");
        Assert.Equal(1015UL, Call(program, 1, 7, 8, 0));
        Assert.Equal(1057UL, Call(program, 2, 7, 8, 1));
        Assert.Equal(1007UL, Call(program, 3, 7, 0, 0));
        Assert.Equal(0UL, Call(program, 3, 0, 0, 0)); // check(0) stops the program with r0 = 0
    }

    [Theory]
    [InlineData(4UL)]
    [InlineData(99UL)]
    [InlineData(1UL << 40)]
    public void HelperByIdWithAnUnknownIdFaultsNamingTheId(ulong id)
    {
        using var module = AotTestObjects.Link("callx.o");
        var program = module.GetProgram("bpf_main");
        var error = Assert.Throws<BpfException>(() => Call(program, id, 1, 2, 3));
        Assert.Equal(DiagnosticCodes.LinkHelperFaultAtRunTime, error.Code);
        Assert.Contains($"#{id}", error.Message);
        Assert.Equal(1015UL, Call(program, 1, 7, 8, 0)); // the module stays usable
    }

    private static ulong Call(IBpfExecutable program, ulong id, ulong r1, ulong r2, ulong r3)
    {
        ulong[] args = [id, r1, r2, r3];
        return program.Run(MemoryMarshal.AsBytes(args.AsSpan()));
    }

    [Fact]
    public void HelperThatStopsOnZeroUnwindsNestedFrames()
    {
        using var module = AotTestObjects.Link("unwind.o");
        var program = module.GetProgram("bpf_main");
        Assert.Equal(1010UL, program.Execute(0, 5));
        Assert.Equal(0UL, program.Execute(0, 0));
        Assert.Equal(1002UL, program.Execute(0, 1)); // callee-saved state restored after an unwind
    }

    [Fact]
    public void ProgramsRunFromSeveralThreadsAtOnce()
    {
        using var module = AotTestObjects.Link("unwind.o");
        var program = module.GetProgram("bpf_main");
        Parallel.For(0, 2000, i =>
        {
            var len = (ulong)(i % 3);
            Assert.Equal(len == 0 ? 0 : (2 * len) + 1000, program.Execute(0, len));
        });
    }

    [Fact]
    public void AbsoluteThirtyTwoBitAddressesReachABlockBelowTwoGiBAndFarHelperCallsGoThroughStubs()
    {
        using var module = AotTestObjects.Link("address_nopic.o");
        var program = module.GetProgram("bpf_main");
        var table = module.FindSymbol("aot_table");
        Assert.NotNull(table);
        Assert.Equal((ulong)table!.Value, program.Execute(0, 0));
        Assert.True((ulong)table.Value < 1UL << 31);
        Assert.Equal(32UL, program.Execute(0, 2)); // add(aot_table[2], 2)
        var helperEntry = (ulong)module.Helpers.Find(1)!.NativeEntry;
        Assert.True(helperEntry - (ulong)module.Layout.BaseAddress > int.MaxValue, "the runtime's helper entries lie far above the low block");
        Assert.Equal(1, module.Layout.StubCount);
        Assert.Equal(1, module.Layout.StubbedReferences);
    }

    [Fact]
    public void EveryHelperCalledDirectlyHasAStub()
    {
        using var module = AotTestObjects.Link("helpers_nopic.o");
        Assert.Equal(2, module.Layout.StubCount);
        Assert.Equal(94UL, module.GetProgram("bpf_main").Execute(0, 5));
    }

    [Fact]
    public void CodeIsReadExecuteConstantsReadOnlyAndNothingIsWritableAndExecutable()
    {
        using var map = new OneValueMap("totals");
        using var module = AotTestObjects.Link("maps_meta.o", map);
        var layout = module.Layout;
        var start = (ulong)layout.BaseAddress;
        var protections = ReadProtections(start, start + layout.TotalSize);
        Assert.Equal("r-x", protections[start]);
        Assert.Equal("r--", protections[start + layout.CodeSize]);
        Assert.Equal("rw-", protections[start + layout.CodeSize + layout.ReadOnlySize]);
        Assert.DoesNotContain(protections.Values, p => p.Contains('w') && p.Contains('x'));
    }

    private static Dictionary<ulong, string> ReadProtections(ulong start, ulong end)
    {
        var result = new Dictionary<ulong, string>();
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            var parts = line.Split(' ', 3);
            var range = parts[0].Split('-');
            var from = Convert.ToUInt64(range[0], 16);
            var to = Convert.ToUInt64(range[1], 16);
            if (to <= start || from >= end)
            {
                continue;
            }
            for (var page = Math.Max(from, start); page < Math.Min(to, end); page += 4096)
            {
                result[page] = parts[1][..3];
            }
        }
        return result;
    }

    [Fact]
    public void UnknownProgramNameIsRefusedWithTheNamesThatExist()
    {
        using var module = AotTestObjects.Link("helpers_meta.o");
        var error = Assert.Throws<BpfException>(() => module.GetProgram("nope"));
        Assert.Equal(DiagnosticCodes.LinkUnknownProgram, error.Code);
        Assert.Contains("helpers", error.Message);
    }

    [Fact]
    public void ReplacingAHelperAfterLinkingLeavesTheLinkedOneInPlace()
    {
        var helpers = AotTestObjects.Helpers();
        using var module = AotLinker.Link(AotTestObjects.Read("helpers.o"), new AotLinkOptions { Helpers = helpers });
        helpers.Add(new HelperFunction(1, "sub", HelperPrototype.Unchecked, (r1, r2, _, _, _) => r1 - r2));
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.Equal(94UL, module.GetProgram("bpf_main").Execute(0, 5));
    }

    [Fact]
    public void DisposedModuleRefusesToRun()
    {
        var module = AotTestObjects.Link("helpers.o");
        var program = module.GetProgram("bpf_main");
        module.Dispose();
        Assert.Throws<ObjectDisposedException>(() => program.Execute(0, 1));
    }
}
