using System.Diagnostics;
using System.Globalization;

namespace Bpftime.Benchmarks;

/// <summary>
/// Start-up: the SDK packed from this repository, two console apps built with it in Release (one
/// embeds samples/QuickStart's object and runs its program once, the twin prints a constant), each
/// started in turn, and the wall time from process start to the line with the result, with the peak
/// resident memory each process reports. A third app is the first with the runtime's plain IL
/// assembly in place of the package's precompiled one, to show what precompiling is worth.
/// </summary>
internal sealed partial class StopwatchHarness
{
    public const int StartupRuns = 20;

    private const string ResultPrefix = "result ";

    // Prints the result, then what the process cost: methods compiled at run time, assemblies loaded
    // (both counted before anything else runs), and peak memory.
    private const string ReportTail = """
        var jittedBeforeResult = System.Runtime.JitInfo.GetCompiledMethodCount();
        var assembliesBeforeResult = AppDomain.CurrentDomain.GetAssemblies().Length;
        Console.WriteLine("result " + r0.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Console.WriteLine("jitted " + jittedBeforeResult.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Console.WriteLine("assemblies " + assembliesBeforeResult.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                Console.WriteLine(line);
            }
        }
        """;

    private sealed record StartupApp(string Label, string Executable);

    private sealed record StartupSample(TimeSpan FirstResult, long PeakKiB, int Jitted, int Assemblies);

    private void StartupTimes()
    {
        output.WriteLine(Format($"### Start-up (ms from process start to the first result, median of {StartupRuns} starts, the apps in turn)"));
        output.WriteLine();
        var root = Directory.CreateTempSubdirectory("bpftime-startup-");
        try
        {
            var apps = BuildStartupApps(root.FullName);
            var samples = apps.ToDictionary(a => a.Label, _ => new List<StartupSample>());
            for (var run = 0; run < StartupRuns; run++)
            {
                foreach (var app in apps)
                {
                    Progress.Show(Format($"startup: {app.Label}, start {run + 1}/{StartupRuns}"));
                    samples[app.Label].Add(StartOnce(app));
                }
            }
            Progress.Clear();
            var table = new MarkdownTable("app", "first result (ms)", "fastest (ms)", "peak RSS (MiB)", "methods compiled at run time", "assemblies loaded");
            foreach (var app in apps)
            {
                var list = samples[app.Label];
                table.Add(app.Label, Format($"{Timing.Median(list.Select(s => s.FirstResult)).TotalMilliseconds:F1}"),
                    Format($"{list.Min(s => s.FirstResult).TotalMilliseconds:F1}"), Format($"{Median(list.Select(s => s.PeakKiB)) / 1024.0:F1}"),
                    Format($"{Median(list.Select(s => (long)s.Jitted))}"), Format($"{Median(list.Select(s => (long)s.Assemblies))}"));
            }
            table.Write(output);
            var baseline = Timing.Median(samples[apps[0].Label].Select(s => s.FirstResult));
            var embedded = Timing.Median(samples[apps[1].Label].Select(s => s.FirstResult));
            output.WriteLine(Format($"One embedded program costs {(embedded - baseline).TotalMilliseconds:F1} ms of start-up (median against median) and {(Median(samples[apps[1].Label].Select(s => s.PeakKiB)) - Median(samples[apps[0].Label].Select(s => s.PeakKiB))) / 1024.0:F1} MiB of peak memory."));
            output.WriteLine();
        }
        finally
        {
            try
            {
                root.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A temporary folder left behind is harmless.
            }
        }
    }

    private static long Median(IEnumerable<long> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>Packs the SDK into a local feed and builds the apps against it alone.</summary>
    private List<StartupApp> BuildStartupApps(string root)
    {
        var feed = Path.Combine(root, "feed");
        Progress.Show("startup: packing the SDK");
        DotNet(Path.Combine(Repository.Root, "src", "Bpftime.Sdk"), "pack", "-c", "Release", "-o", feed);
        Bpftime.Tests.LocalPackageFeed.WriteConfig(root, feed);

        var plain = BuildApp(root, "NoProgram", "", "", $$"""
            const ulong r0 = 1960787276;
            {{ReportTail}}
            """);
        var withProgram = BuildApp(root, "OneProgram", "<BpfContextSize>64</BpfContextSize>",
            """<PackageReference Include="Bpftime.Sdk" Version="0.1.0" /><BpfProgram Include="filter.bpf.o" />""", $$"""
            // As samples/QuickStart runs it (the README's way): Run copies the message into a zeroed buffer of
            // at least ContextSize (64) bytes for r1 and passes its length in r2.
            using var filter = Bpf.Filter.Load();
            var r0 = filter.Checksum.Run("Hello, eBPF from .NET!"u8);
            {{ReportTail}}
            """);

        // The same app with the runtime's IL assembly (this harness's own copy, built from the same source).
        var ilDirectory = Path.Combine(root, "OneProgramIl");
        CopyDirectory(Path.GetDirectoryName(withProgram)!, ilDirectory);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Bpftime.Runtime.dll"), Path.Combine(ilDirectory, "Bpftime.Runtime.dll"), overwrite: true);
        List<StartupApp> apps =
        [
            new("console app, no program", plain),
            new("one embedded aot program", withProgram),
            new("the same, runtime not precompiled", Path.Combine(ilDirectory, Path.GetFileName(withProgram))),
        ];
        // The same app published ReadyToRun, the way to have the generated accessor (the app's own code)
        // precompiled as well; the package's runtime is precompiled for linux-x64 only.
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64)
        {
            var published = Path.Combine(root, "OneProgramPublished");
            Progress.Show("startup: publishing OneProgram ReadyToRun");
            DotNet(Path.Combine(root, "OneProgram"), "publish", "-c", "Release", "-r", "linux-x64", "--self-contained", "false", "-p:PublishReadyToRun=true", "-o", published);
            apps.Add(new("the same, app published ReadyToRun", Path.Combine(published, Path.GetFileName(withProgram))));
        }
        return apps;
    }

    private string BuildApp(string root, string name, string properties, string items, string program)
    {
        var directory = Path.Combine(root, name);
        Directory.CreateDirectory(directory);
        if (items.Length > 0)
        {
            File.Copy(Path.Combine(Repository.Root, "samples", "QuickStart", "filter.bpf.o"), Path.Combine(directory, "filter.bpf.o"));
        }
        File.WriteAllText(Path.Combine(directory, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                {properties}
              </PropertyGroup>
              <ItemGroup>{items}</ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(directory, "Program.cs"), program);
        Progress.Show("startup: building " + name);
        DotNet(directory, "build", "-c", "Release");
        var executable = Path.Combine(directory, "bin", "Release", "net10.0", name);
        return File.Exists(executable) ? executable : throw new InvalidOperationException($"the build of {name} left no {executable}");
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            // On Unix the copy keeps the mode, so the apphost stays executable.
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    private static void DotNet(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])[.. arguments, "-tl:off", "-nodeReuse:false", "-v", "quiet", "-nologo"])
        {
            start.ArgumentList.Add(argument);
        }
        // `dotnet run` of this harness leaves MSBuild's variables behind; a user's shell has none.
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(variable);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} in {directory} failed (exit {process.ExitCode}):\n{text}{error.Result}");
        }
    }

    /// <summary>One start: the clock runs from just before the process is created until its result line is read.</summary>
    private static StartupSample StartOnce(StartupApp app)
    {
        var start = new ProcessStartInfo(app.Executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment.Remove("BPFTIME_ENGINE");
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        TimeSpan? firstResult = null;
        long peak = -1;
        var jitted = -1;
        var assemblies = -1;
        while (process.StandardOutput.ReadLine() is { } line)
        {
            if (firstResult is null && line.StartsWith(ResultPrefix, StringComparison.Ordinal))
            {
                firstResult = clock.Elapsed;
            }
            else if (line.StartsWith("jitted ", StringComparison.Ordinal))
            {
                jitted = int.Parse(line["jitted ".Length..], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("assemblies ", StringComparison.Ordinal))
            {
                assemblies = int.Parse(line["assemblies ".Length..], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        process.WaitForExit();
        if (process.ExitCode != 0 || firstResult is null || peak < 0)
        {
            throw new InvalidOperationException($"{app.Executable} did not report a result (exit {process.ExitCode}): {error.Result}");
        }
        return new StartupSample(firstResult.Value, peak, jitted, assemblies);
    }
}
