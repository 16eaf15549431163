using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Bpftime.Sandbox.Fuzz.Tests;

/// <summary>
/// Runs the child (<c>Bpftime.Sandbox.Fuzz.dll</c>) over programs [0, count) of one engine and mode. A child
/// that dies (signal or abnormal exit) is charged to the program it announced last and a new child goes on
/// from the next program; one that stops making progress is killed and charged with a hang, and the batch
/// ends there unless <see cref="KeepGoingAfterHang"/> (each hang costs <see cref="ProgressLimit"/>).
/// </summary>
internal sealed class FuzzBatch
{
    /// <summary>No line from the child for this long while a program runs: a hang.</summary>
    public static readonly TimeSpan ProgressLimit = TimeSpan.FromSeconds(10);

    private int MaxRestarts => Math.Max(40, Count / 10);

    public required string Engine { get; init; }
    public required string Mode { get; init; }
    public required int Seed { get; init; }
    public required int Count { get; init; }
    public string? Plant { get; init; }

    /// <summary>Go on with the next program after a hang (long runs that collect every failure).</summary>
    public bool KeepGoingAfterHang { get; init; }

    /// <summary>Wall-clock limit for the whole batch; past it the running program counts as a hang.</summary>
    public required TimeSpan Limit { get; init; }

    public static string ChildPath
    {
        get
        {
            var here = AppContext.BaseDirectory;
            if (File.Exists(Path.Combine(here, "Bpftime.Sandbox.Fuzz.runtimeconfig.json")))
            {
                return Path.Combine(here, "Bpftime.Sandbox.Fuzz.dll");
            }
            // tests/Bpftime.Sandbox.Fuzz.Tests/bin/<configuration>/<tfm>/ -> tests/Bpftime.Sandbox.Fuzz/bin/<configuration>/<tfm>/
            var tfm = new DirectoryInfo(here).Name;
            var configuration = new DirectoryInfo(here).Parent!.Name;
            var tests = new DirectoryInfo(here).Parent!.Parent!.Parent!.Parent!.FullName;
            return Path.Combine(tests, "Bpftime.Sandbox.Fuzz", "bin", configuration, tfm, "Bpftime.Sandbox.Fuzz.dll");
        }
    }

    public FuzzReport Run()
    {
        var report = new FuzzReport(Engine, Mode, Seed, Plant);
        var clock = Stopwatch.StartNew();
        var next = 0;
        var restarts = 0;
        while (next < Count && restarts <= MaxRestarts)
        {
            var remaining = Limit - clock.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                report.Hangs.Add(new Finding(next, Seed + next, "hang", $"the batch's limit of {Limit.TotalSeconds:0} s ran out before program {next}"));
                break;
            }
            var outcome = RunChild(next, Count - next, remaining, report);
            if (outcome.Finished)
            {
                break;
            }
            if (outcome.Hung && !KeepGoingAfterHang)
            {
                break;
            }
            next = outcome.LastStarted + 1;
            restarts++;
        }
        report.Elapsed = clock.Elapsed;
        return report;
    }

    private sealed record ChildOutcome(bool Finished, bool Hung, int LastStarted);

    private ChildOutcome RunChild(int start, int count, TimeSpan remaining, FuzzReport report)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(ChildPath);
        foreach (var argument in new[] { "--engine", Engine, "--mode", Mode, "--seed", Seed.ToString(CultureInfo.InvariantCulture),
            "--start", start.ToString(CultureInfo.InvariantCulture), "--count", count.ToString(CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(argument);
        }
        if (Plant is not null)
        {
            info.ArgumentList.Add("--plant");
            info.ArgumentList.Add(Plant);
        }
        using var child = Process.Start(info) ?? throw new InvalidOperationException("the fuzz child did not start");
        var stderr = new StringBuilder();
        child.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        child.BeginErrorReadLine();
        var lastStarted = start - 1;
        var lastFinished = start - 1;
        var ended = false;
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var read = child.StandardOutput.ReadLineAsync();
            var wait = ProgressLimit < remaining - deadline.Elapsed ? ProgressLimit : remaining - deadline.Elapsed;
            if (wait <= TimeSpan.Zero || !read.Wait(wait))
            {
                child.Kill(entireProcessTree: true);
                child.WaitForExit();
                var index = Math.Max(lastStarted, start);
                report.Hangs.Add(new Finding(index, Seed + index, "hang",
                    lastStarted > lastFinished ? $"no result after {wait.TotalSeconds:0} s (endless loop, deadlock or runaway helper)" : "the child stopped reporting"));
                return new ChildOutcome(false, true, index);
            }
            var line = read.Result;
            if (line is null)
            {
                break;
            }
            ended |= report.Take(line, ref lastStarted, ref lastFinished);
        }
        child.WaitForExit();
        if (ended && child.ExitCode == 0)
        {
            return new ChildOutcome(true, false, lastStarted);
        }
        string tail;
        lock (stderr)
        {
            tail = Summarise(stderr.ToString());
        }
        var crashed = Math.Max(lastStarted, start);
        report.Crashes.Add(new Finding(crashed, Seed + crashed, "crash", $"{Describe(child.ExitCode)}: {tail}"));
        return new ChildOutcome(false, false, crashed);
    }

    /// <summary>The runtime's fatal-error text cut to what names the fault: the exception and the first frames of ours.</summary>
    private static string Summarise(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var head = lines.Where(l => !l.StartsWith("at ", StringComparison.Ordinal)).Take(2);
        var frames = lines.Where(l => l.StartsWith("at Bpftime.", StringComparison.Ordinal) && !l.StartsWith("at Bpftime.Sandbox", StringComparison.Ordinal)).Take(2);
        return string.Join(" | ", head.Concat(frames));
    }

    private static string Describe(int exitCode) => exitCode switch
    {
        134 => "exit 134 (SIGABRT: the runtime's fatal error)",
        139 => "exit 139 (SIGSEGV)",
        > 128 => $"exit {exitCode} (signal {exitCode - 128})",
        _ => $"exit {exitCode}",
    };
}
