using System.Diagnostics;
using System.Globalization;
using Bpftime.Engines;
using Bpftime.Engines.Interpreter;
using Bpftime.Engines.X64;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Tests.Engines.X64;

namespace Bpftime.Benchmarks;

/// <summary>
/// Quick figures without BenchmarkDotNet: compile time of the jit per 1,000 instructions, and run
/// time of each kernel on the interpreter and the jit (trusted and checked), best of several runs.
/// </summary>
internal static class StopwatchHarness
{
    public static void Run(TextWriter output)
    {
        CompileTimes(output);
        output.WriteLine();
        RunTimes(output);
    }

    private static void CompileTimes(TextWriter output)
    {
        output.WriteLine("jit compile time (x86-64 emission only, and full load with mmap/mprotect):");
        var programs = new List<(string Name, Instruction[] Code)>();
        foreach (var kernel in Kernel.All(Repository.DataDirectory))
        {
            programs.Add((kernel.Name, kernel.Code));
        }
        // A large mixed program: random generator output concatenated into one function body is not
        // valid as a whole, so use the largest of many generated programs and a long straight-line one.
        var largest = Enumerable.Range(1, 200).Select(seed => new RandomProgramGenerator(seed).Generate()).MaxBy(p => p.Length)!;
        programs.Add(("random", largest));
        programs.Add(("straight-100k", StraightLine(100_000)));
        var helpers = new HelperTable("bench", [
            new HelperFunction(RandomProgramGenerator.MixHelperId, "mix", HelperPrototype.Unchecked, (a, _, _, _, _) => a),
            ConformanceHelpers.Unwind,
        ]);
        using var map = Maps.ArrayMap.Create("bench", RandomProgramGenerator.MapValueSize, 1);
        // Warm the compiler on every program first, so that the first figures are not tier-0 code.
        var warmUp = Stopwatch.StartNew();
        while (warmUp.ElapsedMilliseconds < 500)
        {
            foreach (var (name, code) in programs.Where(p => p.Code.Length < 50_000))
            {
                X64Compiler.Compile(new ProgramImage(name, code, helpers) { Maps = [map] }, new JitBindings(1, h => h.NativeEntry, _ => 1));
            }
        }
        foreach (var (name, code) in programs)
        {
            foreach (var verified in new[] { true, false })
            {
                var image = new ProgramImage(name, code, helpers) { Verified = verified, Maps = [map] };
                var bindings = new JitBindings(1, h => h.NativeEntry, _ => 1);
                var emit = Best(() => X64Compiler.Compile(image, bindings), code.Length > 50_000 ? 20 : 300);
                var load = Best(() => X64JitEngine.Instance.Load(image, EngineOptions.Default).Dispose(), code.Length > 50_000 ? 20 : 300);
                var bytes = X64Compiler.Compile(image, bindings).Code.Length;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {name,-14} {(verified ? "trusted" : "checked"),-8} {code.Length,7} insns  {bytes,8} bytes ({(double)bytes / code.Length,5:F1} B/insn)  emit {emit.TotalMicroseconds,9:F1} us ({emit.TotalMicroseconds * 1000 / code.Length,6:F1} us/1k)  load {load.TotalMicroseconds,9:F1} us"));
            }
        }
    }

    private static Instruction[] StraightLine(int count)
    {
        var random = new Random(7);
        var code = new Instruction[count];
        for (var i = 0; i < count - 1; i++)
        {
            var op = new[] { AluOperation.Add, AluOperation.Sub, AluOperation.Xor, AluOperation.Mul, AluOperation.Lsh, AluOperation.Or }[random.Next(6)];
            code[i] = random.Next(2) == 0
                ? new Instruction(Opcodes.Alu(InstructionClass.Alu64, op, OperandSource.Immediate), (byte)random.Next(10), 0, 0, random.Next(1, 60))
                : new Instruction(Opcodes.Alu(InstructionClass.Alu64, op, OperandSource.Register), (byte)random.Next(10), (byte)random.Next(10), 0, 0);
        }
        code[^1] = new Instruction(Opcodes.Exit, 0, 0, 0, 0);
        return code;
    }

    private static void RunTimes(TextWriter output)
    {
        output.WriteLine("run time per execution (best of several), and speed-up over the interpreter:");
        foreach (var kernel in Kernel.All(Repository.DataDirectory))
        {
            var memory = kernel.CreateMemory();
            var pristine = (byte[])memory.Clone();
            var results = new List<(string Engine, TimeSpan Time, ulong R0)>();
            foreach (var (engine, verified) in new (IBpfEngine, bool)[]
            {
                (InterpreterEngine.Instance, true), (InterpreterEngine.Instance, false), (X64JitEngine.Instance, true), (X64JitEngine.Instance, false),
            })
            {
                var image = new ProgramImage(kernel.Name, kernel.Code, new HelperTable("none")) { Verified = verified };
                using var executable = engine.Load(image, EngineOptions.Default);
                ulong r0 = 0;
                var interpreted = engine is InterpreterEngine;
                var time = Best(() =>
                {
                    pristine.CopyTo(memory, 0);
                    r0 = executable.Run(memory);
                }, interpreted ? 5 : 20);
                results.Add(($"{engine.Name}/{(verified ? "trusted" : "checked")}", time, r0));
            }
            var baseline = results[0].Time;
            output.WriteLine($"  {kernel.Name}: {kernel.Description}");
            foreach (var (engine, time, r0) in results)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    {engine,-22} {time.TotalMilliseconds,9:F3} ms  x{baseline / time,6:F1}  r0=0x{r0:x}"));
            }
            if (results.Select(r => r.R0).Distinct().Count() != 1)
            {
                output.WriteLine("    MISMATCH: the engines disagree on r0");
            }
        }
    }

    private static TimeSpan Best(Action action, int repetitions)
    {
        // Warm up for a while so that tiered compilation has promoted the hot methods to optimised code.
        var warmUp = Stopwatch.StartNew();
        do
        {
            action();
        }
        while (warmUp.ElapsedMilliseconds < 250);
        var best = TimeSpan.MaxValue;
        var stopwatch = new Stopwatch();
        for (var i = 0; i < repetitions; i++)
        {
            stopwatch.Restart();
            action();
            stopwatch.Stop();
            if (stopwatch.Elapsed < best)
            {
                best = stopwatch.Elapsed;
            }
        }
        return best;
    }
}
