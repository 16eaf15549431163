using System.Diagnostics;
using System.Globalization;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Sandbox.Fuzz.Generation;
using Bpftime.Sandbox.Fuzz.Sandbox;

namespace Bpftime.Sandbox.Fuzz.Running;

/// <summary>
/// Shrinks a failing program for a report: replaces instructions, last first, by <c>ja +0</c> (so no jump
/// moves) and keeps each replacement after which a fresh child still fails the same way (a crash, or a
/// finding line of the same kind). Prints what is left, without the no-ops.
/// </summary>
internal static class ProgramMinimizer
{
    private static readonly Instruction Nop = new(Opcodes.Ja, 0, 0, 0, 0);

    public static void Write(string path, Instruction[] code) =>
        File.WriteAllLines(path, code.Select(i => i.ToUInt64().ToString("x16", CultureInfo.InvariantCulture)));

    public static Instruction[] Read(string path) =>
        [.. File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => Instruction.FromUInt64(ulong.Parse(l, NumberStyles.HexNumber, CultureInfo.InvariantCulture)))];

    /// <param name="kind">crash, leak, canary or canaryread.</param>
    public static int Run(FuzzOptions options, string kind, TextWriter output)
    {
        var helpers = StandardHelpers.CreateDefault(TraceSink.Discard);
        if (options.Plant is not null)
        {
            PlantedBug.Install(helpers, options.Plant);
        }
        var program = new HostileProgramGenerator(options.Seed, helpers, options.Plant is not null).Generate();
        var code = program.Code.ToArray();
        var file = Path.GetTempFileName();
        try
        {
            if (!Fails(options, kind, code, file))
            {
                output.WriteLine($"seed {options.Seed} does not fail with '{kind}' on {options.Engine}/{options.Mode.ToString().ToLowerInvariant()}");
                return 1;
            }
            for (var i = code.Length - 1; i >= 0; i--)
            {
                if (code[i] == Nop || (i > 0 && code[i - 1].IsLoadImm64))
                {
                    continue;
                }
                var width = code[i].IsLoadImm64 ? 2 : 1;
                var trial = code.ToArray();
                for (var k = 0; k < width; k++)
                {
                    trial[i + k] = Nop;
                }
                if (Fails(options, kind, trial, file))
                {
                    code = trial;
                }
            }
            output.WriteLine($"seed {options.Seed}, {options.Engine}/{options.Mode.ToString().ToLowerInvariant()}, {kind}: {code.Count(c => c != Nop)} of {program.Code.Length} instructions left ({(program.Xdp ? "xdp" : "raw")} context)");
            foreach (var line in Disassembler.Disassemble(code).Split('\n'))
            {
                if (!line.TrimEnd().EndsWith("goto +0", StringComparison.Ordinal))
                {
                    output.WriteLine(line.TrimEnd());
                }
            }
            return 0;
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static bool Fails(FuzzOptions options, string kind, Instruction[] code, string file)
    {
        Write(file, code);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(typeof(ProgramMinimizer).Assembly.Location);
        foreach (var argument in new[] { "--engine", options.Engine, "--mode", options.Mode.ToString().ToLowerInvariant(), "--seed",
            options.Seed.ToString(CultureInfo.InvariantCulture), "--start", "0", "--count", "1", "--code", file })
        {
            info.ArgumentList.Add(argument);
        }
        if (options.Plant is not null)
        {
            info.ArgumentList.Add("--plant");
            info.ArgumentList.Add(options.Plant);
        }
        using var child = Process.Start(info)!;
        child.ErrorDataReceived += (_, _) => { };
        child.BeginErrorReadLine();
        var text = child.StandardOutput.ReadToEndAsync();
        if (!child.WaitForExit(15_000))
        {
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
            return kind == "hang";
        }
        var lines = text.Result.Split('\n');
        return kind switch
        {
            "crash" => child.ExitCode != 0 && !lines.Any(l => l.StartsWith("END", StringComparison.Ordinal)),
            _ => lines.Any(l => l.StartsWith(kind.ToUpperInvariant() + " ", StringComparison.Ordinal)),
        };
    }
}
