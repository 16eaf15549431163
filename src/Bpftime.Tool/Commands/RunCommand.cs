using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Bpftime.Diagnostics;
using Bpftime.Hosting;

namespace Bpftime.Tool.Commands;

/// <summary>
/// <c>bpftime run FILE [--program NAME] [--engine E] [--opt N] [--mem FILE] [--repeat N] [--budget N] [--verify] [--json] [--dump-maps]</c>:
/// runs one program with r1 = a copy of the memory and r2 = its length, and prints r0. An XDP program
/// gets the memory as a packet in an XDP frame; a socket filter or tc program with legacy packet loads
/// (ld_abs, ld_ind) gets it as the packet of a socket buffer (struct __sk_buff). --dump-maps prints the maps after the runs, keys and
/// values read through the object's BTF (hex where there is none).
/// The program is verified first against a context of the memory's length: verified, it runs
/// without run-time memory checks; refused, it runs checked and a line on stderr says why, or, with
/// --verify, it does not run and the verifier's diagnostics are printed (exit 1). --budget bounds
/// each checked run, and each run of a verified program whose loops were not proven to end (backward
/// jumps, local calls and callbacks; BPF4016 when spent); --require-termination refuses such a program.
/// </summary>
internal static class RunCommand
{
    public static Command Create(ToolContext context)
    {
        var file = CommandSupport.FileArgument("An eBPF object, raw bytecode, or a native object compiled by 'bpftime compile'");
        var program = CommandSupport.ProgramOption();
        var engine = CommandSupport.EngineOption(context);
        var opt = CommandSupport.OptimizationOption();
        var mem = new Option<FileInfo?>("--mem", "-m") { Description = "File whose bytes are the program's memory (r1), or the packet for XDP programs and for socket filter and tc programs with legacy packet loads (in a socket buffer); empty when absent" };
        var repeat = new Option<int>("--repeat", "-n") { Description = "Run this many times and report the median time", DefaultValueFactory = _ => 1 };
        repeat.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--repeat must be at least 1");
            }
        });
        var budget = new Option<long>("--budget")
        {
            Description = "Backward jumps, local calls and callbacks one run of an unverified program may take before it stops with BPF4016",
            DefaultValueFactory = _ => Engines.EngineOptions.DefaultExecutionBudget,
        };
        budget.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long>() < 1)
            {
                result.AddError("--budget must be at least 1");
            }
        });
        var json = CommandSupport.JsonOption();
        var dumpMaps = new Option<bool>("--dump-maps") { Description = "After the runs, print every map of the object, keys and values read through its BTF (hex without BTF); with --json as the \"maps\" member, each entry's \"formatted\" member holding the structured key and value" };
        var verify = new Option<bool>("--verify")
        {
            Description = "Run only a program the verifier proves safe (for a context of the --mem length); otherwise print its BPF2xxx diagnostics and exit 1",
        };
        var memLen = new Option<bool>("--mem-len")
        {
            Description = "The (mem, len) contract for programs other than XDP: verify for r1 pointing at exactly r2 bytes (the --mem length) rather than at least that many",
        };
        var requireTermination = new Option<bool>("--require-termination")
        {
            Description = "Refuse a program whose loops the verifier cannot prove to end (BPF2039; native code: BPF4119) instead of running it under --budget",
        };
        var helpers = new Option<string>("--helpers") { Description = "The runtime's helper set the program may call: " + CommandSupport.HelperSetHelp, DefaultValueFactory = _ => BpfHelperSets.DefaultName };
        var maxMapMemory = CommandSupport.MaxMapMemoryOption();
        var command = new Command("run", "Run an eBPF program and print r0") { file, program, engine, opt, mem, repeat, budget, verify, requireTermination, memLen, json, dumpMaps, helpers, maxMapMemory };
        command.SetAction(parse => CommandSupport.Guard(context, () => Run(
            context,
            parse.GetValue(file)!,
            parse.GetValue(program),
            parse.GetValue(engine)!,
            parse.GetValue(opt),
            parse.GetValue(mem),
            parse.GetValue(repeat),
            parse.GetValue(budget),
            parse.GetValue(verify),
            parse.GetValue(json),
            parse.GetValue(dumpMaps),
            new RunLimits(parse.GetValue(helpers)!, parse.GetValue(maxMapMemory), parse.GetValue(requireTermination), parse.GetValue(memLen)))));
        return command;
    }

    /// <summary>What the host grants the program: its helper set and the memory its maps may take.</summary>
    private sealed record RunLimits(string HelperSet, string? MaxMapMemory, bool RequireTermination, bool MemoryWithLength);

    private static int Run(ToolContext context, FileInfo file, string? programName, string engineName, int opt, FileInfo? memFile, int repeat, long budget, bool verify, bool json, bool dumpMaps, RunLimits limits)
    {
        var selected = context.Engines.Find(engineName)!;
        if (!selected.IsAvailable(out var reason))
        {
            throw BpfException.Create(DiagnosticCodes.ToolEngineUnavailable, $"engine '{engineName}' cannot run here: {reason}", file.FullName);
        }
        var memory = memFile is null ? [] : CommandSupport.ReadMemoryFile(memFile);

        var loadClock = Stopwatch.StartNew();
        var helperTable = CommandSupport.FindHelperSet(limits.HelperSet, DiagnosticCodes.ToolUnknownHelperSet, file.FullName);
        var mapLimit = MemorySize.Parse(limits.MaxMapMemory, "--max-map-memory");
        LoadedProgram loadedProgram;
        try
        {
            loadedProgram = Load();
        }
        catch (BpfException refusal) when (limits.RequireTermination && refusal.Diagnostics.Any(d =>
            d.Code is DiagnosticCodes.VerifierTerminationNotProven or DiagnosticCodes.NativeProgramTerminationNotProven))
        {
            // A verdict on the program, not unusable input: exit 1, as --verify does.
            foreach (var diagnostic in refusal.Diagnostics)
            {
                context.Error.WriteLine(diagnostic.ToCanonicalString());
            }
            return CommandSupport.Rejected;
        }
        using var loaded = loadedProgram;
        loadClock.Stop();
        var firstLoadTicks = loadClock.ElapsedTicks;
        var loadTicks = firstLoadTicks;
        if (json)
        {
            // The first load also pays this process's first calls: the just-in-time compilation of the
            // reader, verifier and engine, and LLVM's initialisation. Loading the same file again
            // measures the load alone; the difference is reported as host_warmup_ns.
            var warmClock = Stopwatch.StartNew();
            Load(announce: false).Dispose();
            loadTicks = warmClock.ElapsedTicks;
        }
        if (!loaded.Program.IsVerified && !ReportUnverified(context, loaded, file, verify))
        {
            return CommandSupport.Rejected;
        }
        if (loaded.Program.IsVerified && !loaded.Program.IsTerminationProven)
        {
            var loops = loaded.Program.Verification is { } verdict && loaded.Object.File.FindProgram(loaded.ProgramName) is { } info
                ? UnprovenLoopReport.Describe(verdict, info) : "a loop";
            context.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bpftime run: '{loaded.ProgramName}' is verified, but the end of {loops} was not proven: it runs under the budget ({budget:N0})"));
        }

        var times = new long[repeat];
        ulong result = 0;
        var scratch = new byte[memory.Length];
        var isXdp = loaded.Program.ContextKind == BpfContextKind.XdpFrame;
        using var frame = isXdp ? new XdpFrame(capacity: Math.Max(memory.Length, 4096)) : null;
        for (var i = 0; i < repeat; i++)
        {
            // A fresh copy each run: the program may write its memory.
            long start;
            if (frame is not null)
            {
                frame.SetPacket(memory);
                start = Stopwatch.GetTimestamp();
                result = (ulong)loaded.Program.RunXdp(frame);
            }
            else
            {
                memory.CopyTo(scratch, 0);
                start = Stopwatch.GetTimestamp();
                result = loaded.Run(scratch);
            }
            times[i] = Stopwatch.GetTimestamp() - start;
        }
        Array.Sort(times);
        var medianNs = (long)(times[times.Length / 2] * (1_000_000_000.0 / Stopwatch.Frequency));
        var loadNs = (long)(loadTicks * (1_000_000_000.0 / Stopwatch.Frequency));
        var firstLoadNs = (long)(firstLoadTicks * (1_000_000_000.0 / Stopwatch.Frequency));

        if (json)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("result", "0x" + result.ToString("x", CultureInfo.InvariantCulture));
                writer.WriteNumber("result_value", result);
                writer.WriteString("program", loaded.ProgramName);
                writer.WriteString("engine", loaded.EngineName);
                writer.WriteNumber("opt", opt);
                writer.WriteNumber("load_ns", loadNs);
                writer.WriteNumber("first_load_ns", firstLoadNs);
                writer.WriteNumber("host_warmup_ns", Math.Max(0, firstLoadNs - loadNs));
                writer.WriteNumber("exec_ns_median", medianNs);
                writer.WriteNumber("runs", repeat);
                writer.WriteBoolean("verified", loaded.Program.IsVerified);
                writer.WriteBoolean("termination_proven", loaded.Program.IsTerminationProven);
                if (!loaded.Program.IsVerified)
                {
                    writer.WriteStartArray("verification");
                    foreach (var diagnostic in loaded.Program.VerificationDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error))
                    {
                        writer.WriteStringValue(diagnostic.ToCanonicalString());
                    }
                    writer.WriteEndArray();
                }
                if (frame is not null)
                {
                    writer.WriteString("xdp_action", ((XdpAction)(uint)result).ToString().ToUpperInvariant());
                }
                if (dumpMaps)
                {
                    writer.WritePropertyName("maps");
                    MapDumpView.Build(loaded.Object, file).WriteTo(writer);
                }
                writer.WriteEndObject();
            }
            context.Output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
        }
        else
        {
            context.Output.WriteLine("0x" + result.ToString("x", CultureInfo.InvariantCulture)
                + (frame is not null ? " (XDP_" + ((XdpAction)(uint)result).ToString().ToUpperInvariant() + ")" : ""));
            if (dumpMaps)
            {
                context.Output.Write(MapDumpView.ToText(MapDumpView.Build(loaded.Object, file)));
            }
        }
        return CommandSupport.Success;

        LoadedProgram Load(bool announce = true) => LoadedProgram.Load(context, file, programName, engineName, opt, memory.Length, helperTable, mapLimit, budget,
            limits.RequireTermination, limits.MemoryWithLength, announce);
    }

    /// <summary>
    /// Says why the program runs with run-time checks (stderr); with --verify prints the verifier's
    /// errors instead and returns false, so that the program does not run.
    /// </summary>
    private static bool ReportUnverified(ToolContext context, LoadedProgram loaded, FileInfo file, bool verify)
    {
        var errors = loaded.Program.VerificationDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count == 0)
        {
            // Native code: the verifier did not run here, and only the build's recorded proof counts.
            errors.Add(loaded.Program.IsTrustedUnchecked
                ? new BpfDiagnostic(DiagnosticCodes.NativeProgramTrustedNotProved,
                    $"program '{loaded.ProgramName}' is native code compiled without run-time memory checks on trust (--memory-checks off); no verifier proved it safe. Compile it with --memory-checks auto",
                    File: file.FullName, Program: loaded.ProgramName)
                : new BpfDiagnostic(DiagnosticCodes.NativeProgramNotVerified,
                    $"program '{loaded.ProgramName}' is native code compiled with run-time memory checks; nothing verified it", File: file.FullName, Program: loaded.ProgramName));
        }
        if (verify)
        {
            foreach (var error in errors)
            {
                context.Error.WriteLine(error.ToCanonicalString());
            }
            return false;
        }
        context.Error.WriteLine(loaded.Program.IsTrustedUnchecked
            ? $"bpftime run: '{loaded.ProgramName}' runs unchecked on trust, not verified: {errors[0].ToCanonicalString()}"
            : $"bpftime run: '{loaded.ProgramName}' runs with run-time memory checks: {errors[0].ToCanonicalString()}");
        return true;
    }
}
