using System.CommandLine;
using System.Globalization;
using System.Text;
using Bpftime.Isa;
using Bpftime.Objects;

namespace Bpftime.Tool.Commands;

/// <summary><c>bpftime disasm FILE [--program NAME]</c>: llvm-objdump-style listing, with C source lines where line info exists.</summary>
internal static class DisasmCommand
{
    public static Command Create(ToolContext context)
    {
        var file = CommandSupport.FileArgument();
        var program = CommandSupport.ProgramFilterOption();
        var noSource = new Option<bool>("--no-source") { Description = "Do not interleave C source lines" };
        var command = new Command("disasm", "Disassemble the programs of an eBPF object") { file, program, noSource };
        command.SetAction(parse => CommandSupport.Guard(context, () =>
        {
            var objectFile = CommandSupport.ReadObject(parse.GetValue(file)!);
            var first = true;
            foreach (var selected in CommandSupport.SelectPrograms(objectFile, parse.GetValue(program)))
            {
                if (!first)
                {
                    context.Output.WriteLine();
                }
                first = false;
                context.Output.Write(Listing(selected, withSource: !parse.GetValue(noSource), objectFile.Maps));
            }
            return CommandSupport.Success;
        }));
        return command;
    }

    public static string Listing(BpfProgramInfo program, bool withSource, IReadOnlyList<MapSpec>? maps = null)
    {
        maps ??= [];
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{program.Name} ({program.Section}):");
        var instructions = program.ToArray();
        var lines = withSource ? program.LineInfo.GroupBy(l => l.InstructionIndex).ToDictionary(g => g.Key, g => g.First()) : [];
        var subprograms = program.Subprograms.GroupBy(s => s.Start).ToDictionary(g => g.Key, g => g.First().Name);
        for (var i = 0; i < instructions.Length; i++)
        {
            if (i > 0 && subprograms.TryGetValue(i, out var subprogram))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"{subprogram}:");
            }
            if (lines.TryGetValue(i, out var line) && line.SourceLine.Length > 0)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"; {line.SourceLine.Trim()}  [{Path.GetFileName(line.FileName)}:{line.Line}:{line.Column}]");
            }
            var next = i + 1 < instructions.Length ? instructions[i + 1] : (Instruction?)null;
            text.Append(CultureInfo.InvariantCulture, $"{i,6}: ").AppendLine(Describe(instructions[i], next, i, subprograms, maps));
            if (instructions[i].IsLoadImm64)
            {
                i++;
            }
        }
        return text.ToString();
    }

    /// <summary>Names maps and local functions where the object tells them; everything else in llvm-objdump's syntax.</summary>
    private static string Describe(Instruction instruction, Instruction? next, int index, Dictionary<int, string> subprograms, IReadOnlyList<MapSpec> maps)
    {
        if (instruction.IsLoadImm64 && next is { } second)
        {
            string MapName() => instruction.Imm >= 0 && instruction.Imm < maps.Count ? maps[instruction.Imm].Name : $"#{instruction.Imm}";
            switch ((LoadImm64Source)instruction.Src)
            {
                case LoadImm64Source.MapByIndex or LoadImm64Source.MapByFd:
                    return $"r{instruction.Dst} = map[{MapName()}] ll";
                case LoadImm64Source.MapValueByIndex or LoadImm64Source.MapValueByFd:
                    return $"r{instruction.Dst} = map_value[{MapName()}] + {second.Imm} ll";
                case LoadImm64Source.CodeAddress:
                    var target = index + 2 + instruction.Imm;
                    return $"r{instruction.Dst} = code[{(subprograms.TryGetValue(target, out var fn) ? fn : "insn " + target)}] ll";
            }
        }
        if (instruction.IsLocalCall)
        {
            var target = index + 1 + instruction.Imm;
            return subprograms.TryGetValue(target, out var name) ? $"call {name}" : $"call pc{instruction.Imm:+0;-0} <insn {target}>";
        }
        return Disassembler.Disassemble(instruction, next);
    }
}
