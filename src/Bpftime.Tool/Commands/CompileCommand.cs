using System.CommandLine;
using System.Globalization;
using Bpftime.Compiler.Aot;
using Bpftime.Diagnostics;
using Bpftime.Hosting;

namespace Bpftime.Tool.Commands;

/// <summary>
/// <c>bpftime compile FILE -o OUT.o [--opt N] [--target x86_64|aarch64] [--cpu NAME] [--helper-set NAME] [--memory-checks on|off]</c>:
/// every program of an eBPF object compiled ahead of time into one native ELF object, with the
/// metadata the runtime's linker checks (entry symbols, stack sizes, helper signatures, map layouts).
/// Nothing verifies the programs here, so the code checks every memory access at run time unless
/// <c>--memory-checks off</c> says they are trusted.
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
        var helperSet = new Option<string>("--helper-set") { Description = "Helper set the code is checked against", DefaultValueFactory = _ => BpfHelperSets.DefaultName };
        var checks = new Option<string>("--memory-checks")
        {
            Description = "on: the native code checks every load and store at run time (for unverified programs); off: no checks, for programs known to be safe",
            DefaultValueFactory = _ => "on",
        };
        checks.AcceptOnlyFromAmong("on", "off");
        var command = new Command("compile", "Compile an eBPF object ahead of time to a native object") { file, output, opt, target, cpu, helperSet, checks };
        command.SetAction(parse => CommandSupport.Guard(context, () =>
        {
            var input = parse.GetValue(file)!;
            var setName = parse.GetValue(helperSet)!;
            var helpers = BpfHelperSets.Find(setName) ?? throw BpfException.Create(DiagnosticCodes.ToolUnknownHelperSet,
                $"no helper set named '{setName}'; choose {BpfHelperSets.DefaultName} or conformance", input.FullName);
            var bytes = ReadAll(input);
            var objectFile = Bpftime.Objects.ObjectReader.Read(bytes, input.FullName);
            var compilation = AotCompilation.FromObject(objectFile, helpers, bytes, verified: parse.GetValue(checks) == "off") with
            {
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
                context.Output.WriteLine($"  {program.Name,-24} symbol {program.Symbol,-24} stack {program.StackSize,4}  {(program.Checked ? "checked  " : "unchecked")}  helpers {(program.Helpers.Count == 0 ? "none" : string.Join(", ", program.Helpers.Select(h => $"{h.Name}#{h.Id}")))}");
            }
            return CommandSupport.Success;
        }));
        return command;
    }

    private static byte[] ReadAll(FileInfo file)
    {
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
