using Bpftime.Tests;

namespace Bpftime.Build.Tests;

/// <summary>
/// The skeleton's open-then-load flow for .rodata, as libbpf's: <c>Open()</c>, set the typed
/// section, <c>Load()</c>. The object is tests/data/c/programs/rodata_config.bpf.c, whose pick
/// indexes a 4-entry .bss table with settings.slot (2 when compiled): the build proves the native
/// code for slot 2, so a host that sets another slot must get a fresh proof, never the old one.
/// </summary>
[Collection(nameof(BuildCollection))]
public sealed class ReadOnlyDataSkeletonBuildTests : IDisposable
{
    private readonly string _directory = EndToEnd.CreateAwkwardDirectory("rodata");

    public void Dispose() => EndToEnd.DeleteQuietly(_directory);

    private static string RodataObject => Path.Combine(TestPaths.RepositoryRoot, "tests", "data", "c", "programs", "obj", "rodata_config.bpf.o");

    [Fact]
    public void TheHostSetsRodataBetweenOpenAndLoadAndUnsafeValuesNeverRunUnchecked()
    {
        Directory.CreateDirectory(Path.Combine(_directory, "bpf"));
        File.Copy(RodataObject, Path.Combine(_directory, "bpf", "rodata_config.bpf.o"));
        File.WriteAllText(Path.Combine(_directory, "app.csproj"), EndToEnd.SourceModeProject("""<BpfProgram Include="bpf/rodata_config.bpf.o" />"""));
        File.WriteAllText(Path.Combine(_directory, "Program.cs"), """
            using Bpf;
            using Bpftime.Diagnostics;
            using Bpftime.Hosting;

            // The static Load is unchanged: the compiled-in slot 2.
            using (var plain = RodataConfig.Load())
            {
                Console.WriteLine($"plain: {plain.Pick.Run()} on {plain.Pick.EngineName}, verified {plain.Pick.IsVerified}, slot {plain.Rodata.Settings.Slot}");
            }

            var open = RodataConfig.Open();
            open.Rodata.Settings.Slot = 3;
            using (var safe = open.Load())
            {
                Console.WriteLine($"slot 3: {safe.Pick.Run()} on {safe.Pick.EngineName}, verified {safe.Pick.IsVerified}, slot {safe.Rodata.Settings.Slot}");
            }
            try
            {
                open.Rodata.Settings.Slot = 1;
                Console.WriteLine("after load: set");
            }
            catch (BpfException error)
            {
                Console.WriteLine($"after load: {error.Diagnostic.Code}");
            }

            var refused = RodataConfig.Open(new BpfLoadOptions { RequireVerification = true });
            refused.Rodata.Settings.Slot = 1000;
            try
            {
                using var loaded = refused.Load();
                Console.WriteLine("slot 1000 required verified: loaded");
            }
            catch (BpfException error)
            {
                Console.WriteLine($"slot 1000 required verified: {error.Diagnostic.Code} {error.Diagnostic.Program}");
            }

            var hostile = RodataConfig.Open();
            hostile.Rodata.Settings.Slot = 1000;
            using (var loaded = hostile.Load())
            {
                try
                {
                    Console.WriteLine($"slot 1000 checked: ran, r0 {loaded.Pick.Run()}");
                }
                catch (BpfException error)
                {
                    Console.WriteLine($"slot 1000 checked: native {loaded.Object.IsNativeCode}, verified {loaded.Pick.IsVerified}, fault {error.Diagnostic.Code[..5]}");
                }
            }
            """);

        var build = DotNetCommand.Build(_directory);
        Assert.True(build.ExitCode == 0, build.ToString());
        var app = Path.Combine(_directory, "bin", DotNetCommand.BuildConfiguration, "net10.0", "app.dll");
        ExpectOn("aot", DotNetCommand.Run(_directory, "exec", app));
        // The interpreter takes the same bytes and reaches the same verdicts.
        ExpectOn("interpreter", DotNetCommand.Run(_directory, new Dictionary<string, string> { ["BPFTIME_ENGINE"] = "interpreter" }, "exec", app));
    }

    private static void ExpectOn(string engine, DotNetCommand.Result run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        string[] expected =
        [
            // pick: table[slot] += 1, returns table[slot] * 100 + slot.
            $"plain: 102 on {engine}, verified True, slot 2",
            // Safe new bytes keep the engine (native code too), verified again for them.
            $"slot 3: 103 on {engine}, verified True, slot 3",
            "after load: BPF4134",
            "slot 1000 required verified: BPF2",
            // Unsafe new bytes: never the unchecked code proved for slot 2; checked code faults.
            "slot 1000 checked: native False, verified False, fault BPF40",
        ];
        foreach (var line in expected)
        {
            Assert.True(run.Output.Contains(line, StringComparison.Ordinal), $"expected '{line}' in:\n{run}");
        }
    }
}
