using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Engines.X64;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Maps;
using Xunit.Abstractions;

namespace Bpftime.Tests.Engines.X64;

/// <summary>
/// Differential fuzzing: seeded random programs run on the interpreter (the reference) and on the
/// jit over the same context buffer and map; r0, the context and the map value must agree, and so
/// must faults (the same instruction, the same memory before it). CI runs a fixed budget;
/// BPFTIME_FUZZ_PROGRAMS=200000 (and BPFTIME_FUZZ_SEED for the first seed) selects a longer run.
/// </summary>
public sealed class JitDifferentialFuzzTests(ITestOutputHelper output)
{
    private const int DefaultPrograms = 3000;
    private const int DefaultFaultingPrograms = 3000;

    private static readonly HelperFunction Mix = new(RandomProgramGenerator.MixHelperId, "mix", HelperPrototype.Unchecked,
        static (a, b, c, d, e) => (a * 3) + (b ^ c) + (d << 1) - e + 0x9e3779b97f4a7c15UL);

    private readonly record struct Outcome(ulong R0, string? Fault, int? FaultIndex, byte[] Context, byte[] MapValue);

    /// <summary>Valid programs: the interpreter and the jit, trusted and checked, agree on everything.</summary>
    [Fact]
    public void JitMatchesTheInterpreterOnRandomPrograms()
    {
        var (programs, mismatches, faulted) = Fuzz(ReadSetting("BPFTIME_FUZZ_PROGRAMS", DefaultPrograms), injectFaults: false);
        Assert.True(mismatches.Count == 0, string.Join("\n\n", mismatches.Take(5)));
        Assert.True(faulted == 0, $"{faulted} generated programs faulted on the interpreter: the generator broke an invariant");
        Assert.True(programs > 0);
    }

    /// <summary>Programs with wild or misaligned accesses: the checked jit faults at the same instruction as the interpreter.</summary>
    [Fact]
    public void CheckedJitFaultsWhereTheInterpreterDoes()
    {
        var (_, mismatches, faulted) = Fuzz(ReadSetting("BPFTIME_FUZZ_PROGRAMS", DefaultFaultingPrograms) / 2, injectFaults: true);
        Assert.True(mismatches.Count == 0, string.Join("\n\n", mismatches.Take(5)));
        Assert.True(faulted > 0, "no generated program faulted: fault injection is not working");
    }

    private unsafe (int Programs, List<string> Mismatches, int Faulted) Fuzz(int programs, bool injectFaults)
    {
        var firstSeed = ReadSetting("BPFTIME_FUZZ_SEED", 1);
        var helpers = new HelperTable("fuzz", [Mix, ConformanceHelpers.Unwind]);
        using var map = ArrayMap.Create("fuzz", RandomProgramGenerator.MapValueSize, 1);
        var context = (byte*)NativeMemory.AlignedAlloc(RandomProgramGenerator.ContextSize, 16);
        var jit = X64JitEngine.Instance;
        var mismatches = new List<string>();
        var stopped = 0;
        var faulted = 0;
        var instructions = 0L;
        try
        {
            for (var seed = firstSeed; seed < firstSeed + programs; seed++)
            {
                var program = new RandomProgramGenerator(seed, injectFaults).Generate();
                instructions += program.Length;
                var initialContext = new byte[RandomProgramGenerator.ContextSize];
                var initialMap = new byte[RandomProgramGenerator.MapValueSize];
                var fill = new Random(seed ^ 0x5eed);
                fill.NextBytes(initialContext);
                fill.NextBytes(initialMap);

                Outcome RunOn(IBpfEngine engine, bool verified)
                {
                    initialContext.CopyTo(new Span<byte>(context, initialContext.Length));
                    initialMap.CopyTo(map.GetValue(0));
                    var image = new ProgramImage("fuzz" + seed, program, helpers) { Verified = verified, Maps = [map] };
                    ulong r0 = 0;
                    string? fault = null;
                    int? faultIndex = null;
                    try
                    {
                        using var executable = engine.Load(image, EngineOptions.Default);
                        r0 = executable.Execute((nint)context, RandomProgramGenerator.ContextSize);
                    }
                    catch (BpfException e)
                    {
                        fault = e.Code;
                        faultIndex = e.Diagnostic.InstructionIndex;
                    }
                    return new Outcome(r0, fault, faultIndex, new Span<byte>(context, initialContext.Length).ToArray(), map.GetValue(0).ToArray());
                }

                var reference = RunOn(InterpreterEngine.Instance, verified: false);
                if (reference.Fault is not null)
                {
                    faulted++;
                }
                else if (reference.R0 == 0)
                {
                    stopped++;
                }
                // A trusted run of a program that faults would really touch wild memory: only checked runs then.
                var runs = injectFaults
                    ? new[] { ("checked", RunOn(jit, verified: false)) }
                    : [("trusted", RunOn(jit, verified: true)), ("checked", RunOn(jit, verified: false))];
                foreach (var (name, actual) in runs)
                {
                    var problem = Compare(reference, actual);
                    if (problem is not null)
                    {
                        mismatches.Add(mismatches.Count < 5
                            ? $"seed {seed}, jit {name}: {problem}\n{Disassembler.Disassemble(program)}"
                            : $"seed {seed}, jit {name}: {problem}");
                    }
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(context);
        }
        output.WriteLine($"{programs} programs{(injectFaults ? " with injected faults" : "")} (seeds {firstSeed}..{firstSeed + programs - 1}, " +
            $"{instructions} instructions), {mismatches.Count} mismatches, {faulted} faulted on the interpreter, {stopped} returned 0");
        return (programs, mismatches, faulted);
    }

    private static string? Compare(Outcome expected, Outcome actual)
    {
        if ((expected.Fault is null) != (actual.Fault is null))
        {
            return $"interpreter {(expected.Fault ?? "ran")}, jit {(actual.Fault ?? "ran")}";
        }
        if (expected.Fault is not null && expected.FaultIndex != actual.FaultIndex)
        {
            return $"interpreter faulted ({expected.Fault}) at instruction {expected.FaultIndex}, jit ({actual.Fault}) at {actual.FaultIndex}";
        }
        if (expected.Fault is null && expected.R0 != actual.R0)
        {
            return $"r0 = 0x{actual.R0:x}, interpreter 0x{expected.R0:x}";
        }
        if (!expected.Context.AsSpan().SequenceEqual(actual.Context))
        {
            return $"context differs: {Hex(actual.Context)} vs {Hex(expected.Context)}";
        }
        if (!expected.MapValue.AsSpan().SequenceEqual(actual.MapValue))
        {
            return $"map value differs: {Hex(actual.MapValue)} vs {Hex(expected.MapValue)}";
        }
        return null;
    }

    private static string Hex(byte[] bytes)
    {
        var text = new StringBuilder();
        foreach (var b in bytes)
        {
            text.Append(b.ToString("x2", CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    private static int ReadSetting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : fallback;
}
