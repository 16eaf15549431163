using System.Globalization;
using Bpftime.Tests;

namespace Bpftime.Build.Tests;

/// <summary>
/// The typed skeleton of an object with a map of every kind (tests/data/c/skeleton_maps/all_maps.bpf.c):
/// a fresh project built once from the packed SDK compiles the C through a BpfSource item and uses
/// nothing but the skeleton's typed properties to fill a map of maps (the object's own inner map, one
/// it creates, hostile ones it must be refused), empty and refill the program array, write and read
/// the hash, array, per-CPU and ring buffer maps, and run the program; the app then runs once per
/// engine. What it prints is checked against a model of the C program written here, step by step.
/// </summary>
[Collection(nameof(BuildCollection))]
public sealed class SkeletonMapKindsTests : IDisposable
{
    private static readonly string[] Engines = ["aot", "llvm-jit", "jit", "interpreter"];

    private readonly string _root = EndToEnd.CreateAwkwardDirectory("map kinds");

    public void Dispose() => EndToEnd.DeleteQuietly(_root);

    [Fact]
    public void EveryMapKindIsTypedAndWorksThroughTheSkeletonOnEveryEngine()
    {
        var feed = PackedSdk.Feed;
        LocalPackageFeed.WriteConfig(_root, feed);
        var directory = Path.Combine(_root, "app");
        Directory.CreateDirectory(directory);
        File.Copy(Path.Combine(TestPaths.RepositoryRoot, "tests", "data", "c", "skeleton_maps", "all_maps.bpf.c"), Path.Combine(directory, "all_maps.bpf.c"));
        // The LLVM JIT is the compiler's; the package's tool carries it, and an app that wants it references it.
        var compiler = Path.Combine(_root, "packages", "bpftime.sdk", "0.1.0", "tools", "net10.0", "any", "Bpftime.Compiler.dll");
        File.WriteAllText(Path.Combine(directory, "app.csproj"), $"""
            <Project Sdk="Bpftime.Sdk/0.1.0">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <BpfContextSize>8</BpfContextSize>
              </PropertyGroup>
              <ItemGroup>
                <BpfSource Include="all_maps.bpf.c" />
                <Reference Include="Bpftime.Compiler" HintPath="{compiler}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(directory, "Program.cs"), AppSource);

        var build = DotNetCommand.Build(directory);
        Assert.True(build.ExitCode == 0, build.ToString());
        var skeleton = File.ReadAllText(Path.Combine(directory, "obj", DotNetCommand.BuildConfiguration, "net10.0", "bpftime", "all_maps.g.cs"));
        // Every map is a typed view; none falls back to the untyped map.
        Assert.DoesNotContain("global::Bpftime.Maps.BpfMap ", skeleton, StringComparison.Ordinal);
        Assert.Contains("BpfMapOfMapsView<uint, global::Bpftime.Hosting.BpfArrayView<Tally>> Tables", skeleton, StringComparison.Ordinal);

        var expected = Expected();
        var app = Path.Combine(directory, "bin", DotNetCommand.BuildConfiguration, "net10.0", "app.dll");
        foreach (var engine in Engines)
        {
            var run = DotNetCommand.Run(directory, "exec", app, engine);
            Assert.True(run.ExitCode == 0, $"{engine}: {run}");
            var lines = run.Output.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length > 0 && lines[0] == $"engine: {engine}, verified: True", $"{engine}: {run}");
            Assert.True(expected.SequenceEqual(lines.Skip(1)), $"{engine}: expected\n{string.Join('\n', expected)}\nbut the app printed\n{run.Output}");
        }
    }

    private sealed class Tally
    {
        public ulong Total;
        public uint Runs;
        public uint Last;

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Total}/{Runs}/{Last}");
    }

    /// <summary>What the app prints after its engine line, from the C program's rules and the host's steps as the app takes them.</summary>
    private static List<string> Expected()
    {
        var lines = new List<string>();
        var flow = new Tally();
        var flowSeen = false;
        Tally[] slots = [new(), new(), new() { Total = 500, Runs = 1, Last = 2 }, new()];
        ulong perCpuTotal = 0, perCpuRuns = 0;
        var innerA = new Tally();
        var innerB = new Tally();
        var own = new Tally { Total = 1000 };
        var tables = new SortedDictionary<uint, Tally> { [0] = innerA, [1] = innerB, [2] = own };
        var tailCall = true;
        const ulong bonus = 4242;
        var events = new List<string>();

        void Run(ulong step)
        {
            if (flowSeen)
            {
                Add(flow, step, (uint)step);
            }
            else
            {
                (flow.Total, flow.Runs, flow.Last, flowSeen) = (step, 1, (uint)step, true);
            }
            Add(slots[step & 3], step, (uint)step);
            perCpuTotal += step;
            perCpuRuns++;
            ulong sum = 0;
            foreach (var (slot, inner) in tables)
            {
                Add(inner, step * (slot + 1), slot);
                sum += inner.Total;
            }
            events.Add(string.Create(CultureInfo.InvariantCulture, $"step {step}, bonus {bonus}, inner maps {tables.Count}, inner sum {sum}"));
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"run {step}: r0 {(tailCall ? step * 10 + 7 : 1)}"));
        }

        lines.Add("tables holds: 0,1,2");
        lines.Add("refused: other layout BPF4241, disposed BPF4241, itself BPF4241, past the end BPF4123, other size BPF4241");
        lines.Add("tables holds: 0,1,2");
        Run(3);
        Run(5);
        Run(6);
        tables.Remove(2);
        lines.Add("delete tables[2]: 0, again: -2");
        tailCall = false;
        Run(10);
        tailCall = true;
        Run(2);
        lines.Add($"flows: {flow}");
        lines.Add($"slots: {string.Join(' ', slots.Select(s => s.ToString()))}");
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"per_cpu: total {perCpuTotal}, runs {perCpuRuns}"));
        lines.AddRange(events.Select(e => "event: " + e));
        lines.Add("last_event: " + events[^1]);
        lines.AddRange(tables.Select(t => string.Create(CultureInfo.InvariantCulture, $"tables[{t.Key}][0]: {t.Value}")));
        lines.Add($"inner_a[0]: {innerA}, inner_b[0]: {innerB}, own[0]: {own}");
        return lines;

        static void Add(Tally tally, ulong step, uint last)
        {
            tally.Total += step;
            tally.Runs++;
            tally.Last = last;
        }
    }

    /// <summary>The app: only the skeleton's typed members (and BpfLoadOptions to pick the engine).</summary>
    private const string AppSource = """
        using Bpf;
        using Bpftime.Diagnostics;
        using Bpftime.Hosting;

        var engine = args[0];
        var engines = BpfEngines.CreateDefault();
        if (engine == "llvm-jit")
        {
            engines.Register(new Bpftime.Compiler.LlvmJit.LlvmJitEngine());
        }
        using var maps = AllMaps.Load(new BpfLoadOptions { Engine = engine, Engines = engines });
        Console.WriteLine($"engine: {maps.Record.EngineName}, verified: {maps.Record.IsVerified}");

        // What the program reads: a hash entry and an array value the host writes.
        maps.Flows[new AllMaps.FlowKey { Id = 9 }] = new AllMaps.Tally { Total = 4242 };
        maps.Slots[2u] = new AllMaps.Tally { Total = 500, Runs = 1, Last = 2 };
        // tables[0] holds inner_a (the object's `.values`); the host adds inner_b and a map of its own.
        maps.Tables[1u] = maps.InnerB;
        var own = maps.Tables.CreateInnerMap("own");
        own[0u] = new AllMaps.Tally { Total = 1000 };
        maps.Tables[2u] = own;
        Console.WriteLine($"tables holds: {string.Join(",", maps.Tables.Keys)}");

        var gone = maps.Tables.CreateInnerMap("gone");
        gone.Map.Dispose();
        Console.WriteLine($"refused: other layout {Code(() => maps.Tables[3u] = maps.Slots)}, disposed {Code(() => maps.Tables[3u] = gone)}, " +
            $"itself {Code(() => maps.Tables.SetMap(3u, maps.Tables.Map))}, past the end {Code(() => maps.Tables[4u] = maps.InnerA)}, " +
            $"other size {Code(() => maps.Tables.CreateInnerMap("wide", 8))}");
        Console.WriteLine($"tables holds: {string.Join(",", maps.Tables.Keys)}");

        Run(3);
        Run(5);
        Run(6);
        Console.WriteLine($"delete tables[2]: {maps.Tables.Delete(2u)}, again: {maps.Tables.Delete(2u)}");
        maps.Jumps.Clear(0u);
        Run(10);
        maps.Jumps.Set(0u, maps.Finish.Program);
        Run(2);

        Console.WriteLine($"flows: {Show(maps.Flows[new AllMaps.FlowKey { Id = 1, Port = 80, Proto = 6 }])}");
        Console.WriteLine($"slots: {string.Join(' ', maps.Slots.Select(Show))}");
        var perCpu = maps.PerCpu.Lookup(0u)!;
        Console.WriteLine($"per_cpu: total {perCpu.Aggregate(0UL, (sum, t) => sum + t.Total)}, runs {perCpu.Aggregate(0UL, (sum, t) => sum + t.Runs)}");
        maps.Events.Poll<AllMaps.Event>(e => Console.WriteLine($"event: {Describe(e)}"));
        Console.WriteLine($"last_event: {Describe(maps.LastEvent[0u])}");
        foreach (var (slot, inner) in maps.Tables)
        {
            Console.WriteLine($"tables[{slot}][0]: {Show(inner[0u])}");
        }
        Console.WriteLine($"inner_a[0]: {Show(maps.InnerA[0u])}, inner_b[0]: {Show(maps.InnerB[0u])}, own[0]: {Show(own[0u])}");
        own.Map.Dispose();

        void Run(ulong step) => Console.WriteLine($"run {step}: r0 {maps.Record.Run(BitConverter.GetBytes(step))}");

        static string Show(AllMaps.Tally t) => $"{t.Total}/{t.Runs}/{t.Last}";

        static string Describe(AllMaps.Event e) => $"step {e.Step}, bonus {e.Bonus}, inner maps {e.InnerMaps}, inner sum {e.InnerSum}";

        static string Code(Action action)
        {
            try
            {
                action();
                return "none";
            }
            catch (BpfException e)
            {
                return e.Code;
            }
        }
        """;
}
