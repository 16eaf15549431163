using Bpftime.Compiler.Aot;
using Bpftime.Compiler.LlvmJit;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Maps;
using Bpftime.Objects;
using Bpftime.Tests;

namespace Bpftime.Compiler.Tests.Objects;

/// <summary>
/// Every program of the clang-built objects in tests/data/obj, run on the interpreter (the reference)
/// and on the LLVM engines: same r0 and same map contents, or a refusal/fault where the interpreter
/// has one. Unsafe programs only ever run checked.
/// </summary>
public sealed unsafe class ObjectDifferentialTests
{
    /// <summary>Objects whose programs cannot be compared: how long they run, or what they read, is not defined.</summary>
    private static readonly Dictionary<string, string> NotComparable = new(StringComparer.Ordinal)
    {
        ["verifier/unsafe/unbounded_loop.bpf.o"] = "may never end",
        ["verifier/unsafe/uninit_value.bpf.o"] = "reads stack bytes no instruction wrote",
    };

    public static TheoryData<string, string> Programs
    {
        get
        {
            var data = new TheoryData<string, string>();
            var folder = Path.Combine(TestPaths.DataDirectory, "obj");
            var paths = Directory.Exists(folder)
                ? Directory.EnumerateFiles(folder, "*.bpf.o", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                : Enumerable.Empty<string>();
            foreach (var path in paths)
            {
                var name = Path.GetRelativePath(folder, path).Replace('\\', '/');
                BpfObjectFile file;
                try
                {
                    file = ObjectReader.ReadFile(path);
                }
                catch (BpfException)
                {
                    continue;
                }
                foreach (var program in file.Programs)
                {
                    data.Add(name, program.Name);
                }
            }
            return data;
        }
    }

    /// <summary>The runtime's standard helpers (map helpers, bpf_loop, ...).</summary>
    private static HelperTable Helpers() => StandardHelpers.CreateDefault();

    private static bool CanCreate(MapSpec spec)
    {
        try
        {
            BpfMapFactory.Create(spec).Dispose();
            return true;
        }
        catch (BpfException)
        {
            return false;
        }
    }

    /// <summary>The values stored under keys 0..7 (little-endian in a key of the map's size), with a presence byte each.</summary>
    private static byte[] Snapshot(BpfMap map, List<BpfMap> maps)
    {
        var bytes = new List<byte>();
        if (map is MapOfMaps outer)
        {
            // A slot's value is the map it holds, named by its index among the object's maps (its handle differs from run to run).
            for (uint key = 0; key < 8; key++)
            {
                var inner = map.KeySize == 4 ? outer.GetMap(key) : null;
                bytes.Add(inner is null ? (byte)0xff : (byte)maps.IndexOf(inner));
            }
            return [.. bytes];
        }
        for (uint key = 0; key < 8; key++)
        {
            var keyBytes = new byte[map.Spec.KeySize];
            if (keyBytes.Length >= 4)
            {
                BitConverter.TryWriteBytes(keyBytes, key);
            }
            if (map is IPerCpuMap perCpu)
            {
                // The processor a run used is not defined: compare the slots' sums, u32 lane by lane.
                var sums = new uint[map.Spec.ValueSize / 4];
                var present = false;
                for (var slot = 0; slot < perCpu.SlotCount; slot++)
                {
                    var copy = perCpu.LookupSlot(keyBytes, slot);
                    present |= copy != 0;
                    for (var lane = 0; copy != 0 && lane < sums.Length; lane++)
                    {
                        sums[lane] += ((uint*)copy)[lane];
                    }
                }
                bytes.AddRange(sums.SelectMany(BitConverter.GetBytes));
                bytes.Add(present ? (byte)1 : (byte)0);
                continue;
            }
            var value = map.Lookup(keyBytes);
            if (value != 0)
            {
                bytes.AddRange(new ReadOnlySpan<byte>((void*)value, (int)map.Spec.ValueSize).ToArray());
            }
            bytes.Add(value == 0 ? (byte)0 : (byte)1);
        }
        return [.. bytes];
    }

    private sealed record Outcome(ulong? Result, string? Fault, byte[][] MapValues);

    private static Outcome Run(IBpfEngine engine, BpfObjectFile file, BpfProgramInfo program, EngineOptions options, bool verified)
    {
        // CreateAll, as a load does: maps of maps get the inner maps their `.values` name.
        var maps = BpfMapFactory.CreateAll(file.Maps, file.Path, file.Btf);
        try
        {
            var image = new ProgramImage(program.Name, program.ToArray(), Helpers()) { Maps = maps, Verified = verified, Origin = file.Path };
            ulong? result = null;
            string? fault = null;
            try
            {
                using var executable = engine.Load(image, options);
                var memory = new byte[64];
                BitConverter.TryWriteBytes(memory, 5L);
                memory[0] = 2;
                result = executable.Run(memory);
                result = executable.Run(memory);
            }
            catch (BpfException error)
            {
                fault = error.Code;
            }
            var values = maps.Select(map => Snapshot(map, maps)).ToArray();
            return new Outcome(result, fault, values);
        }
        finally
        {
            foreach (var map in maps)
            {
                map.Dispose();
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Programs))]
    public void MatchesTheInterpreter(string objectName, string programName)
    {
        LlvmRequirement.SkipIfMissing();
        Skip.If(NotComparable.TryGetValue(objectName, out var why), $"{objectName}: {why}");
        var file = ObjectReader.ReadFile(Path.Combine(TestPaths.DataDirectory, "obj", objectName));
        var unsupported = file.Maps.FirstOrDefault(m => !CanCreate(m));
        Skip.If(unsupported is not null, $"map '{unsupported?.Name}' is a {unsupported?.Type}, which the runtime cannot create yet");
        var program = file.FindProgram(programName)!;

        var reference = Run(InterpreterEngine.Instance, file, program, EngineOptions.Default, verified: false);
        var runs = new List<(string What, Outcome Outcome)>
        {
            ("llvm-jit O0 checked", Run(new LlvmJitEngine(), file, program, new EngineOptions { OptimizationLevel = 0 }, verified: false)),
            ("llvm-jit O3 checked", Run(new LlvmJitEngine(), file, program, new EngineOptions { OptimizationLevel = 3 }, verified: false)),
        };
        if (reference.Fault is null)
        {
            // Only a program the checked reference ran cleanly is safe to run without checks.
            runs.Add(("llvm-jit O3 trusted", Run(new LlvmJitEngine(), file, program, new EngineOptions { OptimizationLevel = 3 }, verified: true)));
            var aot = new AotEngine();
            if (aot.IsAvailable(out _))
            {
                runs.Add(("aot O2", Run(aot, file, program, new EngineOptions { OptimizationLevel = 2 }, verified: true)));
            }
        }
        foreach (var (what, outcome) in runs)
        {
            if (reference.Fault is not null)
            {
                Assert.True(outcome.Fault is not null, $"{objectName}/{programName} on {what}: the interpreter stopped with {reference.Fault}, but r0 = {outcome.Result}");
                continue;
            }
            Assert.True(outcome.Fault is null, $"{objectName}/{programName} on {what}: {outcome.Fault}, but the interpreter gave r0 = {reference.Result}");
            Assert.Equal(reference.Result, outcome.Result);
            for (var i = 0; i < reference.MapValues.Length; i++)
            {
                Assert.True(reference.MapValues[i].AsSpan().SequenceEqual(outcome.MapValues[i]), $"{objectName}/{programName} on {what}: map '{file.Maps[i].Name}' differs");
            }
        }
    }
}
