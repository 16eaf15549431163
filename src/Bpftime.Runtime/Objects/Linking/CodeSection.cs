using Bpftime.Elf;
using Bpftime.Isa;

namespace Bpftime.Objects.Linking;

/// <summary>An executable section decoded into slots, with its functions and its code relocations by slot.</summary>
internal sealed class CodeSection
{
    public CodeSection(ElfSection section, Instruction[] code)
    {
        Section = section;
        Code = code;
    }

    public ElfSection Section { get; }

    public string Name => Section.Name;

    public Instruction[] Code { get; }

    public Dictionary<int, ElfRelocation> Relocations { get; } = [];

    /// <summary>Functions sorted by start slot; a section without function symbols is one function.</summary>
    public List<CodeFunction> Functions { get; } = [];

    /// <summary>The function whose slots include <paramref name="slot"/> (binary search: sections may hold many functions).</summary>
    public CodeFunction? FunctionContaining(int slot)
    {
        int low = 0, high = Functions.Count - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            var function = Functions[middle];
            if (slot < function.Start)
            {
                high = middle - 1;
            }
            else if (slot >= function.Start + function.Length)
            {
                low = middle + 1;
            }
            else
            {
                return function;
            }
        }
        return null;
    }
}

/// <summary>A function of a code section: a program, or a subprogram that programs call.</summary>
internal sealed record CodeFunction(CodeSection Section, string Name, int Start, int Length, bool IsGlobal);
