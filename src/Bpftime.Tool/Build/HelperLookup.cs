using Bpftime.Diagnostics;
using Bpftime.Helpers;
using Bpftime.Hosting;
using Bpftime.Isa;
using Bpftime.Objects;

namespace Bpftime.Tool.Build;

/// <summary>The helper set an item is built against (BpfHelperSet), and the check that every helper a program calls is in it.</summary>
internal sealed class HelperLookup(HelperTable table)
{
    public HelperTable Table { get; } = table;

    public static HelperLookup For(BuildItem item) =>
        new(BpfHelperSets.Find(item.HelperSet) ?? throw BpfException.Create(DiagnosticCodes.InvalidBuildSetting,
            $"BpfHelperSet '{item.HelperSet}' is not a helper set this runtime has (known: {string.Join(", ", BpfHelperSets.Names)}; \"tracing\" is the opt-in for helpers that read host memory)", item.Source));

    public IEnumerable<BpfDiagnostic> CheckCalls(BuildItem item, BpfProgramInfo program, Instruction[] instructions)
    {
        for (var i = 0; i < instructions.Length; i++)
        {
            var instruction = instructions[i];
            if (instruction.Opcode == Opcodes.Call && instruction.Src == (byte)CallSource.Helper && !Table.TryGet(instruction.Imm, out _))
            {
                yield return new BpfDiagnostic(DiagnosticCodes.HelperNotInSet,
                    $"the program calls helper #{instruction.Imm}, which the helper set '{Table.Name}' does not provide; choose another BpfHelperSet or register the helper",
                    File: item.Source, Program: program.Name, InstructionIndex: i);
            }
        }
    }
}
