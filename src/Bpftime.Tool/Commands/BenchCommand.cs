using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Bpftime.Diagnostics;

namespace Bpftime.Tool.Commands;

/// <summary>
/// <c>bpftime bench FILE [--program NAME] [--engines a,b] [--opt N] [--mem FILE] [--repeat N] [--json]</c>: the same
/// program on several engines, with load time, median and minimum run time, and r0 (which must agree).
/// On a terminal each step (loading and verifying, timing) is announced on stderr.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(ToolContext context)
    {
        var file = CommandSupport.FileArgument();
        var program = CommandSupport.ProgramOption();
        var engines = new Option<string[]>("--engines")
        {
            Description = $"Engines to compare (default: every available one of {string.Join(", ", context.Engines.Names)})",
            AllowMultipleArgumentsPerToken = true,
        };
        var opt = CommandSupport.OptimizationOption();
        var mem = new Option<FileInfo?>("--mem", "-m") { Description = "File whose bytes are the program's memory" };
        var repeat = new Option<int>("--repeat", "-n") { Description = "Timed runs per engine", DefaultValueFactory = _ => 101 };
        repeat.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--repeat must be at least 1");
            }
        });
        var json = CommandSupport.JsonOption();
        var command = new Command("bench", "Time one program on several engines") { file, program, engines, opt, mem, repeat, json };
        command.SetAction(parse => CommandSupport.Guard(context, () =>
        {
            var names = parse.GetValue(engines) is { Length: > 0 } chosen
                ? chosen.SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray()
                : context.Engines.Engines.Where(e => e.IsAvailable(out _)).Select(e => e.Name).ToArray();
            foreach (var name in names)
            {
                if (context.Engines.Find(name) is null)
                {
                    throw BpfException.Create(DiagnosticCodes.ToolEngineUnavailable,
                        $"no engine named '{name}'; choose from {string.Join(", ", context.Engines.Names)}");
                }
            }
            var memory = parse.GetValue(mem) is { } memFile ? CommandSupport.ReadMemoryFile(memFile) : [];
            var rows = names.Select(name => Measure(context, parse.GetValue(file)!, parse.GetValue(program), name,
                parse.GetValue(opt), memory, parse.GetValue(repeat))).ToList();
            context.Output.Write(parse.GetValue(json) ? ToJson(rows) : ToTable(rows));
            return rows.Select(r => r.Result).Distinct().Count() == 1 ? CommandSupport.Success : CommandSupport.Rejected;
        }));
        return command;
    }

    private sealed record Row(string Engine, ulong Result, double LoadMs, double MedianNs, double MinNs, int Runs);

    private static Row Measure(ToolContext context, FileInfo file, string? program, string engine, int opt, byte[] memory, int repeat)
    {
        var clock = Stopwatch.StartNew();
        using var loaded = LoadedProgram.Load(context, file, program, engine, opt, memory.Length);
        var loadMs = clock.Elapsed.TotalMilliseconds;
        var scratch = new byte[memory.Length];
        // One untimed run warms caches and lazily bound helpers.
        memory.CopyTo(scratch, 0);
        var result = loaded.Run(scratch);
        context.Progress(string.Create(CultureInfo.InvariantCulture, $"timing {repeat} runs of '{loaded.ProgramName}' on {engine}..."));
        // Short programs run in batches so that each sample is far above the clock's resolution.
        var batch = 1;
        while (batch < 1 << 20 && TimeBatch(loaded, memory, scratch, batch) < 20_000)
        {
            batch *= 2;
        }
        var times = new double[repeat];
        for (var i = 0; i < repeat; i++)
        {
            times[i] = TimeBatch(loaded, memory, scratch, batch) / batch;
        }
        Array.Sort(times);
        return new Row(loaded.EngineName, result, loadMs, times[repeat / 2], times[0], repeat);
    }

    /// <summary>Nanoseconds for <paramref name="count"/> runs, each on a fresh copy of the memory when there is one.</summary>
    private static double TimeBatch(LoadedProgram loaded, byte[] memory, byte[] scratch, int count)
    {
        long elapsed = 0;
        for (var i = 0; i < count; i++)
        {
            memory.CopyTo(scratch, 0);
            var start = Stopwatch.GetTimestamp();
            loaded.Run(scratch);
            elapsed += Stopwatch.GetTimestamp() - start;
        }
        return elapsed * (1e9 / Stopwatch.Frequency);
    }

    private static string ToTable(List<Row> rows)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"engine",-12} {"r0",-20} {"load ms",10} {"median ns",14} {"min ns",14} {"runs",6}");
        foreach (var row in rows)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{row.Engine,-12} {"0x" + row.Result.ToString("x", CultureInfo.InvariantCulture),-20} {row.LoadMs,10:F2} {row.MedianNs,14:F0} {row.MinNs,14:F0} {row.Runs,6}"));
        }
        if (rows.Select(r => r.Result).Distinct().Count() > 1)
        {
            text.AppendLine("error: the engines disagree on r0");
        }
        return text.ToString();
    }

    private static string ToJson(List<Row> rows)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartArray();
            foreach (var row in rows)
            {
                json.WriteStartObject();
                json.WriteString("engine", row.Engine);
                json.WriteString("result", "0x" + row.Result.ToString("x", CultureInfo.InvariantCulture));
                json.WriteNumber("load_ms", row.LoadMs);
                json.WriteNumber("exec_ns_median", row.MedianNs);
                json.WriteNumber("exec_ns_min", row.MinNs);
                json.WriteNumber("runs", row.Runs);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + Environment.NewLine;
    }
}
