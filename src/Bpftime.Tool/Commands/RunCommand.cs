using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Bpftime.Diagnostics;
using Bpftime.Hosting;

namespace Bpftime.Tool.Commands;

/// <summary>
/// <c>bpftime run FILE [--program NAME] [--engine E] [--opt N] [--mem FILE] [--repeat N] [--json] [--dump-maps]</c>:
/// runs one program with r1 = a copy of the memory and r2 = its length, and prints r0. An XDP program
/// gets the memory as a packet in an XDP frame. --dump-maps prints the maps as JSON after the runs.
/// </summary>
internal static class RunCommand
{
    public static Command Create(ToolContext context)
    {
        var file = CommandSupport.FileArgument("An eBPF object, raw bytecode, or a native object compiled by 'bpftime compile'");
        var program = CommandSupport.ProgramOption();
        var engine = CommandSupport.EngineOption(context);
        var opt = CommandSupport.OptimizationOption();
        var mem = new Option<FileInfo?>("--mem", "-m") { Description = "File whose bytes are the program's memory (r1); empty when absent" };
        var repeat = new Option<int>("--repeat", "-n") { Description = "Run this many times and report the median time", DefaultValueFactory = _ => 1 };
        repeat.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--repeat must be at least 1");
            }
        });
        var json = CommandSupport.JsonOption();
        var dumpMaps = new Option<bool>("--dump-maps") { Description = "After the runs, print every map of the object as JSON (with --json: as the \"maps\" member)" };
        var command = new Command("run", "Run an eBPF program and print r0") { file, program, engine, opt, mem, repeat, json, dumpMaps };
        command.SetAction(parse => CommandSupport.Guard(context, () => Run(
            context,
            parse.GetValue(file)!,
            parse.GetValue(program),
            parse.GetValue(engine)!,
            parse.GetValue(opt),
            parse.GetValue(mem),
            parse.GetValue(repeat),
            parse.GetValue(json),
            parse.GetValue(dumpMaps))));
        return command;
    }

    private static int Run(ToolContext context, FileInfo file, string? programName, string engineName, int opt, FileInfo? memFile, int repeat, bool json, bool dumpMaps)
    {
        var selected = context.Engines.Find(engineName)!;
        if (!selected.IsAvailable(out var reason))
        {
            throw BpfException.Create(DiagnosticCodes.ToolEngineUnavailable, $"engine '{engineName}' cannot run here: {reason}", file.FullName);
        }
        var memory = memFile is null ? [] : ReadInput(memFile);

        var loadClock = Stopwatch.StartNew();
        using var loaded = LoadedProgram.Load(context, file, programName, engineName, opt);
        loadClock.Stop();

        var times = new long[repeat];
        ulong result = 0;
        var scratch = new byte[memory.Length];
        var isXdp = loaded.Program.Section?.StartsWith("xdp", StringComparison.Ordinal) == true;
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
        var loadNs = (long)(loadClock.ElapsedTicks * (1_000_000_000.0 / Stopwatch.Frequency));

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
                writer.WriteNumber("exec_ns_median", medianNs);
                writer.WriteNumber("runs", repeat);
                if (frame is not null)
                {
                    writer.WriteString("xdp_action", ((XdpAction)(uint)result).ToString().ToUpperInvariant());
                }
                if (dumpMaps)
                {
                    writer.WritePropertyName("maps");
                    BpfMapDump.Write(writer, loaded.Object.Maps.Values);
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
                context.Output.WriteLine(BpfMapDump.ToJson(loaded.Object.Maps.Values));
            }
        }
        return CommandSupport.Success;
    }

    private static byte[] ReadInput(FileInfo file)
    {
        try
        {
            return File.ReadAllBytes(file.FullName);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw BpfException.Create(DiagnosticCodes.ToolInputUnreadable, $"cannot read the memory file: {error.Message}", file.FullName);
        }
    }
}
