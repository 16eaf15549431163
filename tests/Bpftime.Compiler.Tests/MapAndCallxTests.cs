using Bpftime.Compiler.Aot;
using Bpftime.Compiler.LlvmJit;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;

namespace Bpftime.Compiler.Tests;

/// <summary>Maps by handle and by direct value address, and callx, on both LLVM engines.</summary>
public sealed unsafe class MapAndCallxTests
{
    public static TheoryData<string, int> Engines => new()
    {
        { LlvmJitEngine.EngineName, 0 },
        { LlvmJitEngine.EngineName, 3 },
        { AotEngine.EngineName, 0 },
        { AotEngine.EngineName, 3 },
    };

    private static IBpfEngine EngineNamed(string name) => name == AotEngine.EngineName ? new AotEngine() : new LlvmJitEngine();

    private static HelperTable Helpers() => new("maps", [
        new HelperFunction(1, "bpf_map_lookup_elem",
            HelperPrototype.Of(HelperReturnKind.MapValueOrNull, HelperArgumentKind.ConstMapPointer, HelperArgumentKind.MapKey),
            static (map, key, _, _, _) =>
            {
                var target = BpfMap.FromHandle((nint)map)!;
                return (ulong)target.Lookup(new ReadOnlySpan<byte>((void*)key, (int)target.Spec.KeySize));
            }),
        new HelperFunction(7, "add", HelperPrototype.Unchecked, static (a, b, _, _, _) => a + b),
    ]);

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void LooksUpAndUpdatesAMapValueAndReadsGlobalData(string engineName, int level)
    {
        LlvmRequirement.SkipIfMissing();
        var engine = EngineNamed(engineName);
        Skip.IfNot(engine.IsAvailable(out var reason), reason);
        using var counters = ArrayMap.Create("counters", 8, 4);
        using var globals = ArrayMap.Create(".data", 16, 1);
        BitConverter.TryWriteBytes(globals.GetValue(0)[8..], 1000L);
        BitConverter.TryWriteBytes(counters.GetValue(2), 41L);
        Instruction[] code =
        [
            new(0x62, 10, 0, -4, 2),                                       // *(u32 *)(r10 - 4) = 2
            .. Code.LoadImm64(1, 0, (byte)LoadImm64Source.MapByIndex),     // r1 = map 0
            Code.Mov64Reg(2, 10), Code.Add64(2, -4),                       // r2 = &key
            Code.Call(1),                                                  // r0 = lookup
            Code.JeqImm(0, 0, 5),
            Code.LoadDw(3, 0, 0), Code.Add64(3, 1), Code.StoreDw(0, 3, 0), // ++*value
            new(Opcodes.LoadImm64, 4, (byte)LoadImm64Source.MapValueByIndex, 0, 1), new(0, 0, 0, 0, 8),
            Code.LoadDw(0, 4, 0), Code.Alu64Reg(AluOperation.Add, 0, 3),   // r0 = global + counter
            Code.Exit(),
        ];
        var image = new ProgramImage("maps", code, Helpers()) { Maps = [counters, globals], Verified = true };
        using var executable = engine.Load(image, new EngineOptions { OptimizationLevel = level });
        Assert.Equal(1042UL, executable.Execute(0, 0));
        Assert.Equal(1043UL, executable.Execute(0, 0));
        Assert.Equal(43L, BitConverter.ToInt64(counters.GetValue(2)));
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void CallxReachesHelpersById(string engineName, int level)
    {
        LlvmRequirement.SkipIfMissing();
        var engine = EngineNamed(engineName);
        Skip.IfNot(engine.IsAvailable(out var reason), reason);
        Instruction[] code =
        [
            Code.Mov64(1, 30), Code.Mov64(2, 12), Code.Mov64(6, 7),
            new(Opcodes.CallRegister, 6, 0, 0, 0),
            Code.Exit(),
        ];
        using var executable = engine.Load(new ProgramImage("callx", code, Helpers()), new EngineOptions { OptimizationLevel = level });
        Assert.Equal(42UL, executable.Execute(0, 0));
    }

    [SkippableTheory]
    [InlineData(LlvmJitEngine.EngineName, true)]
    [InlineData(LlvmJitEngine.EngineName, false)]
    [InlineData(AotEngine.EngineName, true)]
    public void RunsOnSeveralThreadsAtOnceWithAtomicMapUpdates(string engineName, bool verified)
    {
        LlvmRequirement.SkipIfMissing();
        var engine = EngineNamed(engineName);
        Skip.IfNot(engine.IsAvailable(out var reason), reason);
        using var counters = ArrayMap.Create("counters", 8, 1);
        Instruction[] code =
        [
            new(Opcodes.LoadImm64, 1, (byte)LoadImm64Source.MapValueByIndex, 0, 0), new(0, 0, 0, 0, 0),
            Code.Mov64(2, 1),
            new(0xdb, 1, 2, 0, (int)AtomicOperation.FetchAdd),             // r2 = atomic_fetch_add(*(u64 *)r1, r2)
            Code.Mov64Reg(0, 2), Code.Exit(),
        ];
        using var executable = engine.Load(new ProgramImage("count", code, Helpers()) { Maps = [counters], Verified = verified },
            new EngineOptions { OptimizationLevel = 3 });
        const int Threads = 4, Runs = 5000;
        var workers = Enumerable.Range(0, Threads).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < Runs; i++)
            {
                executable.Execute(0, 0);
            }
        })).ToArray();
        Task.WaitAll(workers);
        Assert.Equal((long)Threads * Runs, BitConverter.ToInt64(counters.GetValue(0)));
    }

    [SkippableFact]
    public void AValueAddressOfAMapWithoutOneIsRefusedWithACode()
    {
        LlvmRequirement.SkipIfMissing();
        using var hash = Hosting.BpfMapFactory.Create(new Bpftime.Objects.MapSpec("h", Bpftime.Objects.MapType.Hash, 4, 8, 4));
        Instruction[] code = [new(Opcodes.LoadImm64, 1, (byte)LoadImm64Source.MapValueByIndex, 0, 0), new(0, 0, 0, 0, 0), Code.Mov64(0, 0), Code.Exit()];
        var error = Assert.Throws<Diagnostics.BpfException>(() => new LlvmJitEngine().Load(new ProgramImage("v", code, Helpers()) { Maps = [hash] }, EngineOptions.Default));
        Assert.Equal(Diagnostics.DiagnosticCodes.IrUnknownMap, error.Code);
        Assert.Contains("'h'", error.Message);
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void CallxFaultsFromTheDispatcherAreRaisedAfterTheRun(bool verified)
    {
        LlvmRequirement.SkipIfMissing();
        var helpers = Helpers().Add(new HelperFunction(9, "throws", HelperPrototype.Unchecked, static (_, _, _, _, _) => throw new InvalidOperationException("helper failed")));
        Instruction[] unknown = [Code.Mov64(6, 99), new(Opcodes.CallRegister, 6, 0, 0, 0), Code.Exit()];
        using (var executable = new LlvmJitEngine().Load(new ProgramImage("unknown", unknown, helpers) { Verified = verified }, EngineOptions.Default))
        {
            var error = Assert.Throws<Diagnostics.BpfException>(() => executable.Execute(0, 0));
            Assert.Equal(Diagnostics.DiagnosticCodes.JitUnknownHelperAtRunTime, error.Code);
        }
        Instruction[] throwing = [Code.Mov64(6, 9), new(Opcodes.CallRegister, 6, 0, 0, 0), Code.Exit()];
        using (var executable = new LlvmJitEngine().Load(new ProgramImage("throwing", throwing, helpers) { Verified = verified }, EngineOptions.Default))
        {
            Assert.ThrowsAny<Exception>(() => executable.Execute(0, 0));
            Assert.False(ProgramCallback.HasPendingFault);
        }
    }
}
