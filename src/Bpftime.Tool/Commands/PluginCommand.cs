using System.CommandLine;
using System.Globalization;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Helpers;
using Bpftime.Isa;
using Bpftime.Objects;

namespace Bpftime.Tool.Commands;

/// <summary>
/// <c>bpftime plugin [MEM_HEX] [--engine NAME] [--elf]</c>: the conformance suite's plugin protocol.
/// The program arrives as hex bytes on standard input; r0 goes to standard output in hex. A refused
/// program prints its diagnostic on standard error and exits non-zero. Helper 5 is the suite's unwind.
/// </summary>
internal static class PluginCommand
{
    public static Command Create(ToolContext context)
    {
        var memory = new Argument<string?>("memory")
        {
            Description = "The program's memory as hex bytes (r1 points at it, r2 holds its length)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var engine = CommandSupport.EngineOption(context);
        var opt = CommandSupport.OptimizationOption();
        var elf = new Option<bool>("--elf") { Description = "Standard input is an ELF eBPF object rather than raw instructions" };
        var command = new Command("plugin", "Run one program by the conformance suite's plugin protocol") { memory, engine, opt, elf };
        command.SetAction(parse => CommandSupport.Guard(context, () =>
        {
            var program = ParseHex(context.Input.ReadToEnd(), "standard input");
            var mem = ParseHex(parse.GetValue(memory) ?? "", "the memory argument");
            var result = Run(context, program, mem, parse.GetValue(engine)!, parse.GetValue(opt), parse.GetValue(elf));
            context.Output.WriteLine(result.ToString("x", CultureInfo.InvariantCulture));
            return CommandSupport.Success;
        }));
        return command;
    }

    public static ulong Run(ToolContext context, byte[] code, byte[] memory, string engineName, int opt, bool elf)
    {
        var engine = context.Engines.Find(engineName)!;
        if (!engine.IsAvailable(out var reason))
        {
            throw BpfException.Create(DiagnosticCodes.ToolEngineUnavailable, $"engine '{engineName}' cannot run here: {reason}");
        }
        var instructions = elf
            ? CommandSupport.SelectProgram(ObjectReader.Read(code, "standard input"), null).ToArray()
            : InstructionDecoder.Decode(code, "standard input");
        ProgramValidator.EnsureValid(instructions, new ValidationOptions { AllowCallx = true }, "plugin");
        var image = new ProgramImage("plugin", instructions, ConformanceHelpers.Create());
        using var executable = engine.Load(image, EngineOptions.Default with { OptimizationLevel = opt });
        return memory.Length == 0 ? executable.Execute(0, 0) : executable.Run(memory);
    }

    /// <summary>Hex bytes separated by any white space; "0x" prefixes are allowed.</summary>
    public static byte[] ParseHex(string text, string what)
    {
        var bytes = new List<byte>();
        foreach (var token in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var digits = token.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? token[2..] : token;
            if (digits.Length == 0 || digits.Length % 2 != 0)
            {
                throw BpfException.Create(DiagnosticCodes.ToolBadHex, $"'{token}' in {what} is not a whole number of hex bytes");
            }
            for (var i = 0; i < digits.Length; i += 2)
            {
                if (!byte.TryParse(digits.AsSpan(i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
                {
                    throw BpfException.Create(DiagnosticCodes.ToolBadHex, $"'{token}' in {what} is not hex");
                }
                bytes.Add(value);
            }
        }
        return [.. bytes];
    }
}
