using System.Globalization;
using System.Text;
using Bpftime.Helpers;
using Bpftime.Sandbox.Fuzz.Generation;
using Bpftime.Sandbox.Fuzz.Sandbox;

namespace Bpftime.Sandbox.Fuzz.Tests;

/// <summary>One finding: which program (index and seed), what kind, and what the child said.</summary>
internal sealed record Finding(int Index, int Seed, string Kind, string Detail);

/// <summary>What the children of one batch reported, gathered from their lines.</summary>
internal sealed class FuzzReport(string engine, string mode, int seed, string? plant)
{
    public string Engine { get; } = engine;
    public string Mode { get; } = mode;
    public int Seed { get; } = seed;
    public string? Plant { get; } = plant;

    public int Programs { get; private set; }
    public int Ok { get; private set; }
    public int Faults { get; private set; }
    public int Refused { get; private set; }
    public int LoadFailures { get; private set; }
    public TimeSpan Elapsed { get; set; }

    /// <summary>The addresses the planted leaking helper returns, one per child (from their BEGIN lines).</summary>
    public HashSet<ulong> SecretAddresses { get; } = [];

    public List<Finding> Crashes { get; } = [];
    public List<Finding> Hangs { get; } = [];
    public List<Finding> Canaries { get; } = [];
    public List<Finding> CanaryReads { get; } = [];
    public List<Finding> Leaks { get; } = [];
    public List<Finding> Errors { get; } = [];

    public IEnumerable<Finding> Failures => Crashes.Concat(Hangs).Concat(Canaries).Concat(CanaryReads).Concat(Leaks).Concat(Errors);

    /// <summary>Reads one line of the child; true for END.</summary>
    public bool Take(string line, ref int lastStarted, ref int lastFinished)
    {
        var fields = line.Split(' ', 3);
        if (fields[0] == "BEGIN")
        {
            var secret = line.Split(' ').FirstOrDefault(f => f.StartsWith("secret=0x", StringComparison.Ordinal));
            if (secret is not null)
            {
                SecretAddresses.Add(ulong.Parse(secret["secret=0x".Length..], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
            return false;
        }
        if (fields[0] == "END")
        {
            return true;
        }
        if (fields.Length < 2 || !int.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var index))
        {
            return false;
        }
        var detail = fields.Length > 2 ? fields[2] : "";
        var finding = new Finding(index, Seed + index, fields[0].ToLowerInvariant(), detail);
        switch (fields[0])
        {
            case "RUN":
                Programs++;
                lastStarted = index;
                break;
            case "OK":
                Ok++;
                lastFinished = index;
                break;
            case "FAULT":
                Faults++;
                lastFinished = index;
                break;
            case "REFUSED":
                Refused++;
                lastFinished = index;
                break;
            case "LOADFAIL":
                LoadFailures++;
                lastFinished = index;
                break;
            case "ERROR":
                Errors.Add(finding);
                lastFinished = index;
                break;
            case "CANARY":
                Canaries.Add(finding);
                break;
            case "CANARYREAD":
                CanaryReads.Add(finding);
                break;
            case "LEAK":
                Leaks.Add(finding);
                break;
        }
        return false;
    }

    public string Counts =>
        $"{Engine}/{Mode}{(Plant is null ? "" : $" (planted {Plant})")}: programs {Programs}, ok {Ok}, faults {Faults}, refused {Refused}, load failures {LoadFailures}; " +
        $"crashes {Crashes.Count}, hangs {Hangs.Count}, canary changes {Canaries.Count}, canary reads {CanaryReads.Count}, leaks {Leaks.Count}, unexpected exceptions {Errors.Count} " +
        $"({Elapsed.TotalSeconds:0.0} s)";

    /// <summary>
    /// Every failing program by seed (its findings of one kind folded into one line), the first few with their
    /// disassembly, and a command that reruns each alone.
    /// </summary>
    public string Describe(int withDisassembly = 3)
    {
        var text = new StringBuilder();
        text.AppendLine(Counts);
        var shown = 0;
        foreach (var program in Failures.GroupBy(f => f.Index).OrderBy(g => g.Key))
        {
            var first = program.First();
            foreach (var kind in program.GroupBy(f => f.Kind))
            {
                var more = kind.Count() > 1 ? $" (and {kind.Count() - 1} more {kind.Key} finding(s) in this program)" : "";
                text.AppendLine(CultureInfo.InvariantCulture, $"- {kind.Key} at program {first.Index} (seed {first.Seed}), {Engine}/{Mode}: {kind.First().Detail}{more}");
            }
            text.AppendLine(CultureInfo.InvariantCulture, $"  rerun: dotnet {FuzzBatch.ChildPath} --engine {Engine} --mode {Mode} --seed {Seed} --start {first.Index} --count 1{(Plant is null ? "" : " --plant " + Plant)}");
            if (shown++ < withDisassembly)
            {
                text.AppendLine(Disassemble(first.Seed));
            }
        }
        return text.ToString();
    }

    private string Disassemble(int seed)
    {
        var helpers = StandardHelpers.CreateDefault(TraceSink.Discard);
        if (Plant is not null)
        {
            PlantedBug.Install(helpers, Plant);
        }
        var program = new HostileProgramGenerator(seed, helpers, Plant is not null).Generate();
        return $"  seed {seed}: {(program.Xdp ? "xdp" : "raw")} context, hostility {program.Hostility}\n{program.Disassembly}";
    }
}
