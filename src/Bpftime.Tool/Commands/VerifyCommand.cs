using System.CommandLine;
using System.Text.Json;
using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Objects;
using Bpftime.Verification;

namespace Bpftime.Tool.Commands;

/// <summary>
/// <c>bpftime verify FILE</c>: proves each program of an object safe, or prints why not in MSBuild's
/// canonical form. Exit 0 when all pass, 1 when one is refused, 2 when the input is unusable.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create(ToolContext context)
    {
        var file = new Argument<string>("file") { Description = "The eBPF object (.bpf.o) or raw bytecode to verify" };
        var program = new Option<string?>("--program") { Description = "Verify only the program with this name" };
        var contextSize = new Option<int>("--ctx-size") { Description = "Bytes of raw memory r1 points at, at least (programs without a fixed context); r2 holds the real length, as when the build and the loader verify" };
        var exactLength = new Option<bool>("--exact-length") { Description = "Assume r2 is exactly --ctx-size instead of any length of at least that many bytes" };
        var memLen = new Option<bool>("--mem-len")
        {
            Description = "The (mem, len) contract for programs other than XDP: r1 points at exactly r2 bytes, any number, and the program may touch r1[0, r2) only (--ctx-size is ignored)",
        };
        var json = new Option<bool>("--json") { Description = "Print the verdict, diagnostics and statistics as JSON" };
        var noPrune = new Option<bool>("--no-prune") { Description = "Do not reuse proven states (shows how much pruning saves)" };
        var helpers = new Option<string?>("--helpers") { Description = "Check calls against the runtime's helper set of this name (" + CommandSupport.HelperSetHelp + ") instead of every helper the verifier knows" };
        var budget = new Option<int?>("--max-insns") { Description = "Instructions the verifier may process over all paths (default 1000000)" };
        var requireTermination = new Option<bool>("--require-termination")
        {
            Description = "Refuse programs with a loop whose end cannot be proven (BPF2039), as Linux does; without it such a program passes as memory-safe and runs under the execution budget",
        };
        var type = new Option<string?>("--type") { Description = "The program type of programs whose section name says none (iproute2 objects such as \"2/1\"), as a libbpf section name: tc, xdp, kprobe, ..." };
        var command = new Command("verify", "Prove the programs of an eBPF object safe, or show where they are not");
        command.Arguments.Add(file);
        command.Options.Add(program);
        command.Options.Add(contextSize);
        command.Options.Add(exactLength);
        command.Options.Add(json);
        command.Options.Add(noPrune);
        command.Options.Add(helpers);
        command.Options.Add(budget);
        command.Options.Add(type);
        command.Options.Add(requireTermination);
        command.Options.Add(memLen);
        command.SetAction(parse => Run(context, parse.GetValue(file)!, parse.GetValue(program), parse.GetValue(contextSize), parse.GetValue(json), parse.GetValue(noPrune),
            parse.GetValue(helpers), parse.GetValue(budget), parse.GetValue(exactLength), parse.GetValue(requireTermination), parse.GetValue(memLen), parse.GetValue(type)));
        return command;
    }

    private static int Run(ToolContext context, string path, string? programName, int contextSize, bool json, bool noPrune, string? helperSet, int? budget, bool exactLength, bool requireTermination, bool memoryWithLength, string? typeName)
    {
        BpfObjectFile file;
        HelperTable? helpers = null;
        try
        {
            if (contextSize < 0)
            {
                throw BpfException.Create(DiagnosticCodes.InvalidBuildSetting, $"--ctx-size must be 0 or more, not {contextSize}");
            }
            if (budget is <= 0)
            {
                throw BpfException.Create(DiagnosticCodes.InvalidBuildSetting, $"--max-insns must be positive, not {budget}");
            }
            if (helperSet is not null)
            {
                helpers = CommandSupport.FindHelperSet(helperSet, DiagnosticCodes.NameNotFound);
            }
            file = ObjectReader.ReadFile(path);
            if (programName is not null && file.FindProgram(programName) is null)
            {
                throw BpfException.Create(DiagnosticCodes.NameNotFound,
                    $"the object has no program named '{programName}'; it has: {string.Join(", ", file.Programs.Select(p => p.Name))}", path);
            }
            if (file.Programs.Count == 0)
            {
                throw BpfException.Create(DiagnosticCodes.ObjectHasNoPrograms, "the object has no program to verify", path);
            }
            if (typeName is not null)
            {
                var type = ProgramSectionNames.Parse(typeName);
                if (type == ProgramType.Unspecified)
                {
                    throw BpfException.Create(DiagnosticCodes.InvalidBuildSetting, $"--type '{typeName}' is not a program section name libbpf knows (tc, xdp, kprobe, tracepoint, sockops, ...)");
                }
                file = file with { Programs = [.. file.Programs.Select(p => p.Type == ProgramType.Unspecified ? p with { Type = type } : p)] };
            }
        }
        catch (BpfException error)
        {
            foreach (var diagnostic in error.Diagnostics)
            {
                context.Error.WriteLine(diagnostic.ToCanonicalString());
            }
            return 2;
        }

        var options = new VerifierOptions
        {
            ContextSize = memoryWithLength ? 0 : contextSize,
            // As the build and BpfObject.Load verify: hosts pass buffers of any length, r2 tells it.
            VariableContextLength = !exactLength && !memoryWithLength,
            ContextLengthInR2 = memoryWithLength,
            Prune = !noPrune,
            Helpers = helpers,
            MaxProcessedInstructions = budget ?? VerifierOptions.Default.MaxProcessedInstructions,
            RequireTermination = requireTermination,
        };
        // (mem, len) is raw memory whatever the section says, except for XDP programs, which keep
        // xdp_md (as run and compile do); without it each program gets its section's Linux context.
        var results = file.Programs
            .Where(p => programName is null || p.Name == programName)
            .Select(p => BpfVerifier.Verify(p, file.Maps,
                memoryWithLength && p.Type != ProgramType.Xdp ? options with { Context = ContextLayout.RawMemory(0) }
                : memoryWithLength ? options with { ContextLengthInR2 = false } : options, file.Path))
            .ToList();
        var passed = results.All(r => r.Passed);
        if (json)
        {
            WriteJson(context.Output, path, file, results, passed);
        }
        else
        {
            foreach (var result in results)
            {
                foreach (var diagnostic in result.Diagnostics)
                {
                    (diagnostic.Severity == DiagnosticSeverity.Error ? context.Error : context.Output).WriteLine(diagnostic.ToCanonicalString());
                }
                context.Output.WriteLine(Summary(result, file.FindProgram(result.Program)));
            }
        }
        return passed ? 0 : 1;
    }

    /// <summary>
    /// One line per program: verdict, termination, and what the proof cost, e.g.
    /// <c>prog: safe, termination proven; 120 insns processed, 14 states explored, 3 pruned, peak 5 stored, 0.4 ms, 210 KiB allocated; stack 16 bytes (chain 16)</c>.
    /// </summary>
    internal static string Summary(VerificationResult result, BpfProgramInfo? program)
    {
        var termination = !result.Passed ? ""
            : result.TerminationProven ? ", termination proven"
            : $", termination not proven ({(program is null ? "a loop" : UnprovenLoopReport.Describe(result, program))}: runs under the execution budget)";
        var stats = result.Statistics;
        var cost = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{stats.InstructionsProcessed} insns processed, {stats.StatesExplored} states explored, {stats.StatesPruned} pruned, peak {stats.PeakStates} stored, {stats.Elapsed.TotalMilliseconds:0.###} ms, {stats.AllocatedBytes / 1024.0:0} KiB allocated");
        return $"{result.Program}: {(result.Passed ? "safe" : "refused")}{termination}; {cost}; stack {result.MaxStackDepth} bytes (chain {result.CombinedStackDepth})";
    }

    private static void WriteJson(TextWriter output, string path, BpfObjectFile file, IReadOnlyList<VerificationResult> results, bool passed)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("file", path);
            writer.WriteString("verdict", passed ? "safe" : "refused");
            writer.WriteStartArray("programs");
            foreach (var result in results)
            {
                writer.WriteStartObject();
                writer.WriteString("name", result.Program);
                writer.WriteString("verdict", result.Passed ? "safe" : "refused");
                writer.WriteBoolean("passed", result.Passed);
                // Only a passed program has a termination verdict; a refused one is proven nothing.
                writer.WriteBoolean("terminationProven", result.Passed && result.TerminationProven);
                writer.WriteStartArray("unprovenLoops");
                if (result.Passed && file.FindProgram(result.Program) is { } info)
                {
                    foreach (var loop in UnprovenLoopReport.Loops(result, info))
                    {
                        writer.WriteStartObject();
                        writer.WriteNumber("instruction", loop.Instruction);
                        if (loop.Line is { } line)
                        {
                            writer.WriteString("file", loop.File);
                            writer.WriteNumber("line", line);
                        }
                        writer.WriteEndObject();
                    }
                }
                writer.WriteEndArray();
                writer.WriteStartArray("diagnostics");
                foreach (var diagnostic in result.Diagnostics)
                {
                    writer.WriteStartObject();
                    writer.WriteString("code", diagnostic.Code);
                    writer.WriteString("severity", diagnostic.Severity.ToString().ToLowerInvariant());
                    writer.WriteString("message", diagnostic.Message);
                    if (diagnostic.InstructionIndex is int index)
                    {
                        writer.WriteNumber("instruction", index);
                    }
                    if (diagnostic.File is not null)
                    {
                        writer.WriteString("file", diagnostic.File);
                        writer.WriteNumber("line", diagnostic.Line);
                        writer.WriteNumber("column", diagnostic.Column);
                    }
                    writer.WriteString("text", diagnostic.ToCanonicalString());
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
                writer.WriteStartObject("stats");
                writer.WriteNumber("instructionsProcessed", result.Statistics.InstructionsProcessed);
                writer.WriteNumber("statesExplored", result.Statistics.StatesExplored);
                writer.WriteNumber("statesPruned", result.Statistics.StatesPruned);
                writer.WriteNumber("statesKept", result.Statistics.StatesKept);
                writer.WriteNumber("statesJoined", result.Statistics.StatesJoined);
                writer.WriteNumber("peakStates", result.Statistics.PeakStates);
                writer.WriteNumber("peakStateBytes", result.Statistics.PeakStateBytes);
                writer.WriteNumber("allocatedBytes", result.Statistics.AllocatedBytes);
                writer.WriteNumber("milliseconds", Math.Round(result.Statistics.Elapsed.TotalMilliseconds, 3));
                writer.WriteEndObject();
                writer.WriteNumber("maxStackDepth", result.MaxStackDepth);
                writer.WriteNumber("combinedStackDepth", result.CombinedStackDepth);
                writer.WriteStartArray("contextRewrites");
                foreach (var rewrite in result.ContextRewrites)
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("instruction", rewrite.InstructionIndex);
                    writer.WriteString("kind", rewrite.Kind.ToString());
                    writer.WriteNumber("offset", rewrite.ContextOffset);
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
