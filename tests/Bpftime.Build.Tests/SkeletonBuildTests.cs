using Bpftime.Tests;

namespace Bpftime.Build.Tests;

/// <summary>
/// The typed skeleton in a fresh project that uses the repository's SDK files: a design-time build
/// (what an IDE runs first) writes it without the compiler, C# compiles against it, and the app then
/// uses typed hash, array and per-CPU maps with BTF structs and the .rodata, .data and .bss sections
/// (tests/data/c/skeleton/skeleton.bpf.c). Expected values follow from the C source and C's layout rules.
/// </summary>
[Collection(nameof(BuildCollection))]
public sealed class SkeletonBuildTests : IDisposable
{
    private readonly string _directory = EndToEnd.CreateAwkwardDirectory("skeleton");

    public void Dispose() => EndToEnd.DeleteQuietly(_directory);

    private static string SkeletonObject => Path.Combine(TestPaths.RepositoryRoot, "tests", "data", "c", "skeleton", "skeleton.bpf.o");

    private string Outputs => Path.Combine(_directory, "obj", DotNetCommand.BuildConfiguration, "net10.0", "bpftime");

    [Fact]
    public void DesignTimeBuildWritesACompilingSkeletonAndTheAppUsesItsTypes()
    {
        Directory.CreateDirectory(Path.Combine(_directory, "bpf"));
        File.Copy(SkeletonObject, Path.Combine(_directory, "bpf", "skeleton.bpf.o"));
        File.WriteAllText(Path.Combine(_directory, "app.csproj"), EndToEnd.SourceModeProject("""<BpfProgram Include="bpf/skeleton.bpf.o" ContextSize="8" />"""));
        File.WriteAllText(Path.Combine(_directory, "Program.cs"), """
            using System.Runtime.CompilerServices;
            using Bpf;

            using var skeleton = Skeleton.Load();
            // .data is the program's to read: set before the first run.
            skeleton.Data.Base = 1000;
            Console.WriteLine($"r0 = {skeleton.Record.Run(new byte[] { 1, 0, 0, 10, 80, 0, 6, 0 })}");
            Console.WriteLine($"engine: {skeleton.Record.EngineName}, verified: {skeleton.Record.IsVerified}");
            var stats = skeleton.Flows[new Skeleton.FlowKey { Addr = 0x0a000001, Port = 80, Proto = 6 }];
            Console.WriteLine($"flow: packets {stats.Packets}, bytes {stats.Bytes}, mark {stats.Mark:x}, halves[0] {stats.Halves[0]:x}, range {stats.Range.Low}..{stats.Range.High}");
            skeleton.Slots[0u] = new Skeleton.FlowStats { Packets = 5 };
            var verdict = skeleton.CountPackets.Run(new byte[60]);
            Console.WriteLine($"xdp: {verdict.Action}, slot packets {skeleton.Slots[0].Packets}, bytes {skeleton.Slots[0].Bytes}, hits {skeleton.PerCpuHits.Sum(0, (a, b) => a + b)}");
            Console.WriteLine($"per-cpu last port: {skeleton.PerCpuLast.Lookup(1u)!.Max(k => k.Port)}");
            Console.WriteLine($"sections: total_calls {skeleton.Bss.TotalCalls}, last_length {skeleton.Bss.LastLength}, step {skeleton.Rodata.Step}");
            var s = new Skeleton.FlowStats();
            var k = new Skeleton.FlowKey();
            Console.WriteLine($"layout: flow_stats {Unsafe.SizeOf<Skeleton.FlowStats>()} tag@{Offset(ref s, ref s.Tag)} mark@{Offset(ref s, ref s.Mark)} range@{Offset(ref s, ref s.Range)} high@{Offset(ref s, ref s.Range.High)}; flow_key {Unsafe.SizeOf<Skeleton.FlowKey>()} proto@{Offset(ref k, ref k.Proto)}");

            static long Offset<TOwner, TField>(ref TOwner owner, ref TField field) =>
                (long)Unsafe.ByteOffset(ref Unsafe.As<TOwner, byte>(ref owner), ref Unsafe.As<TField, byte>(ref field));
            """);

        // What an IDE runs: the Compile target with DesignTimeBuild; the C# compiler runs, bpftime only writes skeletons.
        var design = DotNetCommand.Run(_directory, "msbuild", "-nologo", "-nodeReuse:false", "-v:m", "-t:Compile",
            "-p:DesignTimeBuild=true", "-p:Configuration=" + DotNetCommand.BuildConfiguration);
        Assert.True(design.ExitCode == 0, design.ToString());
        Assert.Contains("bpftime: writing the skeletons of 1 eBPF object(s)", design.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("bpftime: compiling", design.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Outputs, "bpf.skeleton.g.cs")), design.ToString());
        Assert.False(File.Exists(Path.Combine(Outputs, "bpf.skeleton.linux-x64.o")), "a design-time build ran LLVM");
        Assert.True(File.Exists(Path.Combine(_directory, "obj", DotNetCommand.BuildConfiguration, "net10.0", "app.dll")), "the design-time compile against the skeleton did not produce the assembly");

        var build = DotNetCommand.Build(_directory);
        Assert.True(build.ExitCode == 0, build.ToString());
        var app = Path.Combine(_directory, "bin", DotNetCommand.BuildConfiguration, "net10.0", "app.dll");
        var run = DotNetCommand.Run(_directory, "exec", app);
        Assert.True(run.ExitCode == 0, run.ToString());
        // record(): base + step * length with base set by the host.
        Assert.Contains("r0 = 1024", run.Output, StringComparison.Ordinal);
        Assert.Contains("flow: packets 1, bytes 8, mark abcd, halves[0] abcd, range -1..1", run.Output, StringComparison.Ordinal);
        Assert.Contains("xdp: Pass, slot packets 6, bytes 60, hits 1", run.Output, StringComparison.Ordinal);
        Assert.Contains("per-cpu last port: 80", run.Output, StringComparison.Ordinal);
        Assert.Contains("sections: total_calls 1, last_length 8, step 3", run.Output, StringComparison.Ordinal);
        // C's layout: u64 packets, u64 bytes, u8 tag[6] at 16, the union at 24, range at 28 (4-aligned), 40 in all.
        Assert.Contains("layout: flow_stats 40 tag@16 mark@24 range@28 high@32; flow_key 8 proto@6", run.Output, StringComparison.Ordinal);
        Assert.Contains("engine: aot, verified: True", run.Output, StringComparison.Ordinal);

        // The jit verifies the bytecode for the item's ContextSize, which the skeleton carries.
        var jit = DotNetCommand.Run(_directory, new Dictionary<string, string> { ["BPFTIME_ENGINE"] = "jit" }, "exec", app);
        Assert.True(jit.ExitCode == 0, jit.ToString());
        Assert.Contains("r0 = 1024", jit.Output, StringComparison.Ordinal);
        Assert.Contains("engine: jit, verified: True", jit.Output, StringComparison.Ordinal);

        // Touching the object with the same bytes rewrites nothing, so C# is not compiled again.
        string[] kept = [Path.Combine(Outputs, "bpf.skeleton.g.cs"), Path.Combine(Outputs, "bpf.skeleton.bpf.o"), Path.Combine(Outputs, "bpf.skeleton.linux-x64.o"), app];
        var before = kept.Select(File.GetLastWriteTimeUtc).ToArray();
        File.SetLastWriteTimeUtc(Path.Combine(_directory, "bpf", "skeleton.bpf.o"), DateTime.UtcNow);
        var touched = DotNetCommand.Build(_directory);
        Assert.True(touched.ExitCode == 0, touched.ToString());
        Assert.Contains("bpftime: compiling 1 eBPF object(s)", touched.Output, StringComparison.Ordinal);
        Assert.Equal(before, kept.Select(File.GetLastWriteTimeUtc).ToArray());
    }
}
