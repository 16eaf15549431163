using System.CommandLine;
using System.Globalization;
using Bpftime.Compiler.Aot;
using Bpftime.Diagnostics;
using Bpftime.Hosting;

namespace Bpftime.Tool.Commands;

/// <summary>
/// <c>bpftime compile FILE -o OUT.o [--opt N] [--target x86_64|aarch64] [--cpu NAME] [--helper-set NAME] [--memory-checks on|auto|off] [--ctx-size N]</c>:
/// every program of an eBPF object compiled ahead of time into one native ELF object, with the
/// metadata the runtime's linker checks (entry symbols, stack sizes, helper signatures, map layouts).
/// on (the default): the code checks every memory access at run time. auto: the verifier runs as in
/// the build (raw memory of --ctx-size bytes, xdp_md for XDP, __sk_buff for socket filter and tc
/// programs with legacy packet loads, which are compiled for a socket buffer whatever the mode); proved programs compile unchecked and
/// the metadata records the proof, the others compile checked. off: unchecked on the user's word,
/// recorded as trusted, not proved, so that loaders requiring verification refuse it. A program proved
/// memory-safe whose loops the verifier cannot bound compiles unchecked but counts the execution
/// budget (the metadata says so); --require-termination refuses it instead (BPF2039, exit 1).
/// </summary>
internal static class CompileCommand
{
    public static Command Create(ToolContext context)
    {
        var file = CommandSupport.FileArgument();
        var output = new Option<FileInfo>("--output", "-o") { Description = "The native object to write", Required = true };
        var opt = CommandSupport.OptimizationOption();
        var target = new Option<string>("--target", "-t")
        {
            Description = "Target architecture: x86_64 or aarch64 (default: this machine's)",
            DefaultValueFactory = _ => System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "aarch64" : "x86_64",
        };
        target.AcceptOnlyFromAmong("x86_64", "aarch64");
        var cpu = new Option<string>("--cpu") { Description = "Target CPU: generic (portable), native (this machine), or an LLVM CPU name", DefaultValueFactory = _ => "generic" };
        var helperSet = new Option<string>("--helper-set") { Description = "Helper set the code is checked against: " + CommandSupport.HelperSetHelp, DefaultValueFactory = _ => BpfHelperSets.DefaultName };
        var checks = new Option<string>("--memory-checks")
        {
            Description = "on: the native code checks every load and store at run time; auto: programs the verifier proves safe (for --ctx-size bytes) run unchecked, the others checked; " +
                "off: no checks on your word (trusted, not proved: loaders that require verification refuse it)",
            DefaultValueFactory = _ => "on",
        };
        checks.AcceptOnlyFromAmong("on", "auto", "off");
        var contextSize = new Option<int>("--ctx-size") { Description = "With --memory-checks auto: bytes of raw memory r1 points at, at least (programs other than XDP); the runtime then refuses shorter contexts" };
        var requireTermination = new Option<bool>("--require-termination")
        {
            Description = "With --memory-checks auto: refuse (BPF2039, exit 1) a program whose loops the verifier cannot prove to end; without it such a program compiles unchecked with the budget counter kept",
        };
        var memLen = new Option<bool>("--mem-len")
        {
            Description = "The (mem, len) contract for programs other than XDP: r1 points at exactly r2 bytes (--ctx-size is ignored); with --memory-checks auto the verifier proves accesses inside r1[0, r2), and the metadata records the contract",
        };
        var command = new Command("compile", "Compile an eBPF object ahead of time to a native object") { file, output, opt, target, cpu, helperSet, checks, contextSize, requireTermination, memLen };
        command.SetAction(parse => CommandSupport.Guard(context, () =>
        {
            var input = parse.GetValue(file)!;
            var setName = parse.GetValue(helperSet)!;
            var helpers = CommandSupport.FindHelperSet(setName, DiagnosticCodes.ToolUnknownHelperSet, input.FullName);
            var ctxSize = parse.GetValue(contextSize);
            if (ctxSize < 0)
            {
                throw BpfException.Create(DiagnosticCodes.InvalidBuildSetting, $"--ctx-size must be 0 or more, not {ctxSize}");
            }
            var bytes = ReadAll(input);
            var objectFile = Bpftime.Objects.ObjectReader.Read(bytes, input.FullName);
            var refused = new List<BpfDiagnostic>();
            var memoryWithLength = parse.GetValue(memLen);
            var sources = objectFile.Programs.Select(p => Decide(context, objectFile, p, helpers, parse.GetValue(checks)!, ctxSize, parse.GetValue(requireTermination), refused, memoryWithLength)).ToList();
            if (refused.Count > 0)
            {
                // Proven termination was asked for: a loop the verifier could not bound fails the compile.
                foreach (var diagnostic in refused)
                {
                    context.Error.WriteLine(diagnostic.ToCanonicalString());
                }
                return CommandSupport.Rejected;
            }
            var compilation = AotCompilation.FromObject(objectFile, helpers, bytes) with
            {
                Programs = sources,
                Triple = AotCompiler.NormalizeTriple(parse.GetValue(target)!),
                OptimizationLevel = parse.GetValue(opt),
                TargetCpu = parse.GetValue(cpu)!,
            };
            var compiled = AotCompiler.Compile(compilation);
            var destination = parse.GetValue(output)!;
            try
            {
                File.WriteAllBytes(destination.FullName, compiled.Bytes);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                throw BpfException.Create(DiagnosticCodes.ToolInputUnreadable, $"cannot write the native object: {error.Message}", destination.FullName);
            }
            context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{destination.FullName}: {compiled.Bytes.Length} bytes for {compiled.Metadata.Triple} at -O{compilation.OptimizationLevel} in {compiled.Timings.Total.TotalMilliseconds:F1} ms"));
            foreach (var program in compiled.Metadata.Programs)
            {
                context.Output.WriteLine($"  {program.Name,-24} symbol {program.Symbol,-24} stack {program.StackSize,4}  {(program.Checked ? "checked          " : program.Proved ? "unchecked proved " : "unchecked trusted")}{(!program.Checked && program.CountsBudget ? " (budget)" : "")}  helpers {(program.Helpers.Count == 0 ? "none" : string.Join(", ", program.Helpers.Select(h => $"{h.Name}#{h.Id}")))}");
            }
            return CommandSupport.Success;
        }));
        return command;
    }

    /// <summary>
    /// How one program is compiled: checked (on, or auto and refused), unchecked and proved (auto and
    /// verified), or unchecked on trust (off). A refusal under auto is reported on stderr, not fatal,
    /// except a loop not proven to end when <paramref name="requireTermination"/> asks for proof: its
    /// diagnostics go to <paramref name="refused"/>. A verified program whose loops were not all proven
    /// to end compiles unchecked with the budget counter (a line on stderr names the loops).
    /// </summary>
    private static AotProgramSource Decide(ToolContext context, Bpftime.Objects.BpfObjectFile file, Bpftime.Objects.BpfProgramInfo program, Bpftime.Helpers.HelperTable helpers,
        string checks, int contextSize, bool requireTermination, List<BpfDiagnostic> refused, bool memoryWithLength)
    {
        // The context the loader will run the program on, recorded for checked code too: native code
        // compiles legacy packet loads only for a socket buffer, and loaders keep tail calls within (mem, len).
        var programContext = Build.ProgramContext.For(program, contextSize, memoryWithLength);
        var source = programContext.Record(new AotProgramSource(program.Name, program.ToArray()) { Section = program.Section }, withSize: false);
        if (checks == "off")
        {
            return programContext.Record(source with { Verified = true, Proved = false }, withSize: true);
        }
        if (checks == "on")
        {
            return source;
        }
        var result = Bpftime.Verification.BpfVerifier.Verify(program, file.Maps, programContext.VerifierOptions(helpers, requireTermination), file.Path);
        if (!result.Passed && requireTermination && result.Errors.Any(e => e.Code == DiagnosticCodes.VerifierTerminationNotProven))
        {
            refused.AddRange(result.Errors);
            return source;
        }
        if (!result.Passed)
        {
            var reason = result.Errors.FirstOrDefault();
            context.Error.WriteLine($"bpftime compile: '{program.Name}' is compiled with run-time memory checks: the verifier refused it: {reason?.ToCanonicalString() ?? "no reason given"}");
            return source;
        }
        if (!result.TerminationProven)
        {
            context.Error.WriteLine($"bpftime compile: '{program.Name}' is verified, but the end of {UnprovenLoopReport.Describe(result, program)} was not proven: its native code counts the execution budget (--require-termination refuses it)");
        }
        return programContext.Record(source with { Verified = true, Proved = true, TerminationProven = result.TerminationProven }, withSize: true);
    }

    private static byte[] ReadAll(FileInfo file)
    {
        Bpftime.Objects.ObjectReader.EnsureNotDirectory(file.FullName);
        try
        {
            return File.ReadAllBytes(file.FullName);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw BpfException.Create(DiagnosticCodes.ToolInputUnreadable, $"cannot read the eBPF object: {error.Message}", file.FullName);
        }
    }
}
