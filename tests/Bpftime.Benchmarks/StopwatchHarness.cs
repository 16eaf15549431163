using System.Diagnostics;
using System.Globalization;
using Bpftime.Engines;
using Bpftime.Engines.Aot;
using Bpftime.Engines.X64;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Linking.Native;
using Bpftime.Tests.Engines.X64;

namespace Bpftime.Benchmarks;

/// <summary>
/// Quick figures without BenchmarkDotNet, printed as Markdown tables of medians: run time of each
/// kernel on every level against native C, load time of each engine (and the jit per 1,000
/// instructions), the AOT linker alone, and nanoseconds per map lookup or update from a program.
/// Every level must return the same r0 for a program; a disagreement throws <see cref="ResultMismatchException"/>.
/// </summary>
internal sealed partial class StopwatchHarness(TextWriter output, ISet<string> sections, int rounds)
{
    public const ulong MapIterations = 100_000;

    public static readonly string[] SectionNames = ["run", "load", "compile", "link", "emit", "maps", "startup"];

    private readonly string _data = Repository.DataDirectory;

    private string _phase = "";

    /// <summary>Where the status of a long run goes (nowhere by default).</summary>
    public Progress Progress { get; init; } = new(null);

    /// <summary>The run table's medians, by level and kernel, once the run section is done (for the chart).</summary>
    public Dictionary<(string Level, string Kernel), TimeSpan> RunTimesMeasured { get; } = [];

    /// <summary>The run table's rows and columns, in order.</summary>
    public List<string> RunLevels { get; } = [];

    public List<string> RunKernels { get; } = [];

    /// <summary>The levels to measure besides native (all when null).</summary>
    public IReadOnlyCollection<string>? LevelNames { get; init; }

    /// <summary>The compute kernels to run (all when null).</summary>
    public IReadOnlyCollection<string>? KernelNames { get; init; }

    public void Run()
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"<!-- {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, load average {LoadAverage()}, .NET {Environment.Version} -->"));
        foreach (var name in LevelNames ?? [])
        {
            _ = ExecutionLevel.Named(name);
        }
        var levels = ExecutionLevel.Available(output).Where(l => l.IsNative || LevelNames is null || LevelNames.Contains(l.Name)).ToList();
        if (sections.Contains("run"))
        {
            RunTimes(levels);
        }
        if (sections.Contains("load"))
        {
            LoadTimes(levels);
        }
        if (sections.Contains("compile"))
        {
            CompilePhases(levels);
        }
        if (sections.Contains("link"))
        {
            LinkTimes(levels);
        }
        if (sections.Contains("emit"))
        {
            JitEmission();
        }
        if (sections.Contains("maps"))
        {
            MapTimes(levels);
        }
        if (sections.Contains("startup"))
        {
            StartupTimes();
        }
    }

    private void RunTimes(IReadOnlyList<ExecutionLevel> levels)
    {
        var kernels = Kernel.All(_data).Where(k => KernelNames is null || KernelNames.Contains(k.Name)).ToList();
        if (kernels.Count == 0)
        {
            throw new ArgumentException($"no kernel is named {string.Join(", ", KernelNames!)}; kernels: {string.Join(", ", Kernel.All(_data).Select(k => k.Name))}");
        }
        var native = Kernel.ReadNativeObject(_data);
        var times = new Dictionary<(string Level, string Kernel), TimeSpan>();
        foreach (var kernel in kernels)
        {
            _phase = "run " + kernel.Name;
            var program = kernel.ToProgram(native);
            var memory = kernel.CreateMemory();
            var pristine = (byte[])memory.Clone();
            var executables = levels.Select(level => (Level: level, Executable: level.Load(program))).ToList();
            try
            {
                var r0 = new Dictionary<string, ulong>();
                var cells = executables.Select(e =>
                {
                    var slow = e.Level.Engine is Engines.Interpreter.InterpreterEngine;
                    return (e.Level.Name, (Func<TimeSpan>)(() => Timing.Median(() => r0[e.Level.Name] = e.Executable.Run(memory), slow ? 7 : 21,
                        () => pristine.CopyTo(memory, 0), minimum: slow ? 3 : 5, budget: TimeSpan.FromSeconds(slow ? 2 : 1), warmUpMilliseconds: slow ? 500 : 200)));
                });
                foreach (var (level, time) in Rounds(cells))
                {
                    times[(level, kernel.Name)] = time;
                    RunTimesMeasured[(level, kernel.Name)] = time;
                }
                CheckAgreement(kernel.Name, [.. levels.Select(l => (l.Name, r0[l.Name]))]);
            }
            finally
            {
                executables.ForEach(e => e.Executable.Dispose());
            }
        }

        RunLevels.AddRange(levels.Select(l => l.Name));
        RunKernels.AddRange(kernels.Select(k => k.Name));
        Progress.Clear();
        output.WriteLine(Format($"### Run time per execution (ms, median of {rounds} rounds, each the {Timing.Statistic} of up to 21 runs)"));
        output.WriteLine();
        var header = new[] { "level" }.Concat(kernels.Select(k => k.Name)).ToArray();
        var milliseconds = new MarkdownTable(header);
        var relative = new MarkdownTable([.. header, "geomean"]);
        var hasNative = levels.Any(l => l.IsNative);
        double Ratio(string level, string over, string kernel) => times[(level, kernel)] / times[(over, kernel)];
        foreach (var level in levels)
        {
            milliseconds.Add([level.Name, .. kernels.Select(k => Format($"{times[(level.Name, k.Name)].TotalMilliseconds:F3}"))]);
            if (hasNative)
            {
                var ratios = kernels.Select(k => Ratio(level.Name, NativeExecutable.LevelName, k.Name)).ToList();
                relative.Add([level.Name, .. ratios.Select(r => Format($"{r:F2}")), Format($"{RatioSummary.Geomean(ratios):F2}")]);
            }
        }
        milliseconds.Write(output);
        if (hasNative)
        {
            output.WriteLine("### Run time relative to native C (times slower; 1.00 = native)");
            output.WriteLine();
            relative.Write(output);
        }
        var pairs = RatioSummary.CheckedPairs([.. levels.Select(l => l.Name)]);
        if (pairs.Count > 0)
        {
            output.WriteLine("### Checked code relative to the same level unchecked (same rounds)");
            output.WriteLine();
            var cost = new MarkdownTable([.. header, "geomean"]);
            foreach (var (checkedLevel, uncheckedLevel) in pairs)
            {
                var ratios = kernels.Select(k => Ratio(checkedLevel, uncheckedLevel, k.Name)).ToList();
                cost.Add([checkedLevel, .. ratios.Select(r => Format($"{r:F2}")), Format($"{RatioSummary.Geomean(ratios):F2}")]);
            }
            cost.Write(output);
        }
    }

    private void LoadTimes(IReadOnlyList<ExecutionLevel> levels)
    {
        var kernels = Kernel.All(_data).DistinctBy(k => k.NativeSymbol).ToList();
        var native = Kernel.ReadNativeObject(_data);
        var table = new MarkdownTable(["level", .. kernels.Select(k => k.Name)]);
        table.Add(["(instructions)", .. kernels.Select(k => Format($"{k.Code.Length}"))]);
        foreach (var level in levels)
        {
            _phase = "load " + level.Name;
            var compiles = level.Engine is Compiler.LlvmJit.LlvmJitEngine or Compiler.Aot.AotEngine;
            var cells = kernels.Select(kernel =>
            {
                var program = kernel.ToProgram(native);
                return (kernel.Name, (Func<TimeSpan>)(() => Timing.Median(() => level.Load(program).Dispose(), compiles ? 9 : 51,
                    minimum: compiles ? 5 : 11, budget: TimeSpan.FromSeconds(1), warmUpMilliseconds: compiles ? 300 : 100)));
            });
            var times = Rounds(cells);
            table.Add([level.Name, .. kernels.Select(k => Format($"{times[k.Name].TotalMicroseconds:F1}"))]);
        }
        Progress.Clear();
        output.WriteLine(Format($"### Load time per program (us, median of {rounds} rounds: compile and make executable, then free)"));
        output.WriteLine();
        output.WriteLine("native is AotLinker.Link of the whole bench.native.o (all five kernels).");
        output.WriteLine();
        table.Write(output);
    }

    private void LinkTimes(IReadOnlyList<ExecutionLevel> levels)
    {
        var kernels = Kernel.All(_data).DistinctBy(k => k.NativeSymbol).ToList();
        var native = Kernel.ReadNativeObject(_data);
        var table = new MarkdownTable("object", "bytes", "AotLinker.Link (median, us)");
        if (levels.Any(l => l.Engine is Compiler.Aot.AotEngine))
        {
            foreach (var optimization in new[] { 0, 3 })
            {
                foreach (var kernel in kernels)
                {
                    _phase = Format($"link {kernel.Name} aot O{optimization}");
                    var program = kernel.ToProgram(native);
                    var compiled = ExecutionLevel.CompileAot(program, optimization);
                    var options = new AotLinkOptions { Helpers = program.Helpers, Origin = program.Name };
                    var time = Rounds([("link", () => Timing.Median(() => AotLinker.Link(compiled.Bytes, options).Dispose(), 201, minimum: 21, budget: TimeSpan.FromSeconds(0.5)))])["link"];
                    table.Add(Format($"{kernel.Name} aot O{optimization}"), Format($"{compiled.Bytes.Length}"), Format($"{time.TotalMicroseconds:F1}"));
                }
            }
        }
        _phase = "link " + Kernel.NativeObjectName;
        var nativeOptions = new AotLinkOptions { Helpers = new HelperTable("none"), Origin = Kernel.NativeObjectName };
        var nativeTime = Rounds([("link", () => Timing.Median(() => AotLinker.Link(native, nativeOptions).Dispose(), 201, minimum: 21, budget: TimeSpan.FromSeconds(0.5)))])["link"];
        table.Add(Kernel.NativeObjectName + " (5 kernels)", Format($"{native.Length}"), Format($"{nativeTime.TotalMicroseconds:F1}"));
        AddTestObjectLinks(table);
        Progress.Clear();
        output.WriteLine(Format($"### AOT link time alone (object compiled once with AotCompiler.Compile; median of {rounds} rounds)"));
        output.WriteLine();
        table.Write(output);
    }

    private void JitEmission()
    {
        var programs = Kernel.All(_data).DistinctBy(k => k.NativeSymbol).Select(k => (k.Name, k.Code)).ToList();
        // The largest of many generated programs, and a long straight-line one.
        var largest = Enumerable.Range(1, 200).Select(seed => new RandomProgramGenerator(seed).Generate()).MaxBy(p => p.Length)!;
        programs.Add(("random", largest));
        programs.Add(("straight-100k", StraightLine(100_000)));
        var helpers = new HelperTable("bench", [
            new HelperFunction(RandomProgramGenerator.MixHelperId, "mix", HelperPrototype.Unchecked, (a, _, _, _, _) => a),
            ConformanceHelpers.Unwind,
        ]);
        using var map = Maps.ArrayMap.Create("bench", RandomProgramGenerator.MapValueSize, 1);
        var table = new MarkdownTable("program", "mode", "insns", "code bytes", "B/insn", "emit us", "emit us/1k insns", "load us", "load us/1k insns");
        foreach (var (name, code) in programs)
        {
            Progress.Show("emit " + name);
            foreach (var verified in new[] { true, false })
            {
                var image = new ProgramImage(name, code, helpers) { Verified = verified, Maps = [map] };
                var bindings = new JitBindings(1, h => h.NativeEntry, _ => 1);
                var big = code.Length > 50_000;
                var emit = Timing.Median(() => X64Compiler.Compile(image, bindings), big ? 11 : 201, minimum: 5, budget: TimeSpan.FromSeconds(1));
                var load = Timing.Median(() => X64JitEngine.Instance.Load(image, EngineOptions.Default).Dispose(), big ? 11 : 201, minimum: 5, budget: TimeSpan.FromSeconds(1));
                var bytes = X64Compiler.Compile(image, bindings).Code.Length;
                table.Add(name, verified ? "trusted" : "checked", Format($"{code.Length}"), Format($"{bytes}"), Format($"{(double)bytes / code.Length:F1}"),
                    Format($"{emit.TotalMicroseconds:F1}"), Format($"{emit.TotalMicroseconds * 1000 / code.Length:F1}"),
                    Format($"{load.TotalMicroseconds:F1}"), Format($"{load.TotalMicroseconds * 1000 / code.Length:F1}"));
            }
        }
        Progress.Clear();
        output.WriteLine("### jit compile time (x86-64 emission alone, and the full load with mmap/mprotect; median)");
        output.WriteLine();
        table.Write(output);
    }

    /// <summary>
    /// Every level's map kernels, and the two <see cref="MapReference"/> loops, measured as one set of
    /// interleaved cells: the map cells are throughput-bound, and the time a process gets the whole
    /// core for changes over seconds, so cells measured level after level would put all of one row in
    /// one state of the machine and another row in another (whole rows moving by 2x between
    /// processes). Interleaved, every row's median is drawn from the same stretch of time, and the
    /// reference line says which state that stretch was in.
    /// </summary>
    private void MapTimes(IReadOnlyList<ExecutionLevel> levels)
    {
        using var kernels = new MapKernels(_data);
        var context = MapKernels.Context(MapIterations);
        var table = new MarkdownTable(["level", .. kernels.Programs.Select(p => p.Name)]);
        var results = kernels.Programs.ToDictionary(p => p.Name, _ => new List<(string Level, ulong R0)>());
        var loaded = new List<(ExecutionLevel Level, string Program, IBpfExecutable Executable)>();
        try
        {
            foreach (var level in levels)
            {
                _phase = "maps: load " + level.Name;
                Progress.Show(_phase);
                foreach (var program in kernels.Programs)
                {
                    loaded.Add((level, program.Name, level.Load(program)));
                }
            }
            _phase = "maps";
            var r0 = new Dictionary<string, ulong>();
            // Each cell warms up (tiered compilation of the run path) in its first round only, so the
            // section takes three times the rounds of the others in less time: a cell's state, fast or
            // slow, changes between rounds, and a median of 5 samples of two states is itself one or
            // the other almost at random.
            var warmed = new HashSet<string>();
            TimeSpan Measure(string key, Action run, int warmUpMilliseconds) =>
                Timing.Median(run, 15, minimum: 5, budget: TimeSpan.FromSeconds(1), warmUpMilliseconds: warmed.Add(key) ? warmUpMilliseconds : 5);
            var cells = loaded.Select(e => (Key: e.Level.Name + " " + e.Program, (Func<TimeSpan>)(() =>
                Measure(e.Level.Name + " " + e.Program, () => r0[e.Level.Name + " " + e.Program] = e.Executable.Run(context),
                    e.Level.Engine is Engines.Interpreter.InterpreterEngine ? 500 : 200))))
                .Append(("reference throughput", () => Measure("reference throughput", () => MapReference.Throughput(MapIterations), 200)))
                .Append(("reference latency", () => Measure("reference latency", () => MapReference.Latency(MapIterations), 200)));
            var mapRounds = 3 * rounds;
            var times = Rounds(cells, mapRounds);
            foreach (var level in levels)
            {
                foreach (var program in kernels.Programs)
                {
                    results[program.Name].Add((level.Name, r0[level.Name + " " + program.Name]));
                }
                table.Add([level.Name, .. kernels.Programs.Select(p => Format($"{times[level.Name + " " + p.Name].TotalNanoseconds / MapIterations:F1}"))]);
            }
            foreach (var program in kernels.Programs)
            {
                var expected = MapKernels.Expected(program.Name, MapIterations);
                CheckAgreement(program.Name, [("expected", expected), .. results[program.Name]]);
            }
            Progress.Clear();
            output.WriteLine(Format($"### Map access from a program (ns per iteration = one helper call; median of {mapRounds} rounds, {MapIterations:N0} iterations, {MapKernels.Entries} u32 keys)"));
            output.WriteLine();
            table.Write(output);
            output.WriteLine(Format($"Reference loops timed among these cells (ns per iteration): {times["reference throughput"].TotalNanoseconds / MapIterations:F2} for four independent add chains (it and the map cells slow down together when the core is shared), {times["reference latency"].TotalNanoseconds / MapIterations:F2} for a dependent multiply chain (the clock)."));
            output.WriteLine();
        }
        finally
        {
            loaded.ForEach(e => e.Executable.Dispose());
        }
    }

    /// <summary>Writes each kernel compiled by the AOT compiler (O0 and O3 trusted, O3 checked) to <paramref name="directory"/>, to compare with bench.native.o.</summary>
    public static void DumpAotObjects(string directory, TextWriter output)
    {
        Directory.CreateDirectory(directory);
        var data = Repository.DataDirectory;
        var native = Kernel.ReadNativeObject(data);
        foreach (var kernel in Kernel.All(data).DistinctBy(k => k.NativeSymbol))
        {
            foreach (var (optimization, verified) in new[] { (0, true), (3, true), (3, false) })
            {
                var path = Path.Combine(directory, Format($"{kernel.Name}.aot-O{optimization}{(verified ? "" : "-checked")}.o"));
                File.WriteAllBytes(path, ExecutionLevel.CompileAot(kernel.ToProgram(native), optimization, verified).Bytes);
                output.WriteLine(path);
            }
            // The code as placed in memory, from the entry to the end of its page: llvm-jit O3 and aot O3
            // (trusted) and native, for objdump -D -b binary -m i386:x86-64 and to compare alignment.
            var program = kernel.ToProgram(native);
            using (var jit = ExecutionLevel.Named("llvm-jit O3").Load(program))
            {
                DumpCode(directory, Format($"{kernel.Name}.llvm-jit-O3.bin"), ((Compiler.LlvmJit.LlvmJitExecutable)jit).EntryAddress, output);
            }
            var compiled = ExecutionLevel.CompileAot(program, 3, verified: true);
            using (var aot = AotLinker.Link(compiled.Bytes, new AotLinkOptions { Helpers = program.Helpers, Origin = program.Name }))
            {
                DumpCode(directory, Format($"{kernel.Name}.aot-O3.bin"), aot.FindSymbol(compiled.Metadata.Programs[0].Symbol)!.Value, output);
            }
            using var linked = ExecutionLevel.LinkNative(program);
            DumpCode(directory, Format($"{kernel.Name}.native.bin"), linked.Module.FindSymbol(kernel.NativeSymbol)!.Value, output);
        }
    }

    private static unsafe void DumpCode(string directory, string name, nint entry, TextWriter output)
    {
        var length = (int)(Environment.SystemPageSize - (entry % Environment.SystemPageSize));
        var path = Path.Combine(directory, name);
        File.WriteAllBytes(path, new ReadOnlySpan<byte>((void*)entry, length).ToArray());
        output.WriteLine(Format($"{path} (entry 0x{entry:x}, {entry % 64} bytes past a 64-byte line)"));
    }

    /// <summary>
    /// Measures every cell once per round, the cells interleaved, and keeps the median of the rounds:
    /// a burst of load from other processes then spoils one sample of each cell, not all of one cell.
    /// <paramref name="count"/> rounds when given, else the harness's number.
    /// </summary>
    private Dictionary<string, TimeSpan> Rounds(IEnumerable<(string Key, Func<TimeSpan> Measure)> cells, int? count = null)
    {
        var list = cells.ToList();
        var samples = list.ToDictionary(c => c.Key, _ => new List<TimeSpan>());
        var total = count ?? rounds;
        for (var round = 0; round < total; round++)
        {
            foreach (var (key, measure) in list)
            {
                Progress.Show(Format($"{_phase}: {key}, round {round + 1}/{total}"));
                samples[key].Add(measure());
            }
        }
        return samples.ToDictionary(s => s.Key, s => Timing.Median(s.Value));
    }

    private static void CheckAgreement(string program, IReadOnlyList<(string Level, ulong R0)> results)
    {
        if (results.Select(r => r.R0).Distinct().Count() > 1)
        {
            throw new ResultMismatchException($"the levels disagree on r0 for '{program}': " +
                string.Join(", ", results.Select(r => Format($"{r.Level}=0x{r.R0:x}"))));
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

    private static string LoadAverage()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
