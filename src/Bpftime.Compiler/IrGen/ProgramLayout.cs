using Bpftime.Diagnostics;
using Bpftime.Isa;

namespace Bpftime.Compiler.IrGen;

/// <summary>
/// The shape of a program before translation: where each subprogram (the entry and every local-call
/// target) starts and ends, which slots start basic blocks, and how deep local calls nest.
/// Rejects control flow that leaves its subprogram or lands in the middle of an ld_imm64.
/// </summary>
internal sealed class ProgramLayout
{
    /// <summary>Linux allows eight frames; deeper chains are refused rather than risking the native stack.</summary>
    public const int MaxCallDepth = 8;

    private readonly bool[] _leader;
    private readonly bool[] _secondSlot;

    private ProgramLayout(string program, ReadOnlySpan<Instruction> code)
    {
        Program = program;
        _leader = new bool[code.Length];
        _secondSlot = new bool[code.Length];
        if (code.Length == 0)
        {
            throw Fail(DiagnosticCodes.IrBadControlFlow, "the program has no instructions", null);
        }
        for (var pc = 0; pc < code.Length; pc++)
        {
            if (code[pc].IsLoadImm64)
            {
                if (pc + 1 >= code.Length)
                {
                    throw Fail(DiagnosticCodes.IrUnsupportedInstruction, "ld_imm64 is missing its second slot", pc);
                }
                _secondSlot[++pc] = true;
            }
        }

        var entries = new SortedSet<int> { 0 };
        var callbacks = new SortedSet<int>();
        for (var pc = 0; pc < code.Length; pc++)
        {
            if (!_secondSlot[pc] && code[pc].IsLocalCall)
            {
                var target = (long)pc + code[pc].Imm + 1;
                CheckTarget(target, pc, code.Length, "local call");
                entries.Add((int)target);
            }
            else if (!_secondSlot[pc] && code[pc].IsLoadImm64 && code[pc].Src == (byte)LoadImm64Source.CodeAddress)
            {
                // A code address (callbacks of bpf_loop and friends) names a function too.
                var target = (long)pc + code[pc].Imm + 1;
                CheckTarget(target, pc, code.Length, "code address");
                if (target == 0)
                {
                    throw Fail(DiagnosticCodes.IrBadControlFlow, "a code address names the program's own entry, which cannot be a callback", pc);
                }
                entries.Add((int)target);
                callbacks.Add((int)target);
            }
        }
        Entries = [.. entries];
        var functionEnd = new Dictionary<int, int>();
        for (var i = 0; i < Entries.Count; i++)
        {
            functionEnd[Entries[i]] = i + 1 < Entries.Count ? Entries[i + 1] : code.Length;
        }
        FunctionEnd = functionEnd;

        var callees = Entries.ToDictionary(e => e, _ => new HashSet<int>());
        foreach (var entry in Entries)
        {
            var end = FunctionEnd[entry];
            _leader[entry] = true;
            for (var pc = entry; pc < end; pc++)
            {
                if (_secondSlot[pc])
                {
                    continue;
                }
                var insn = code[pc];
                var next = pc + (insn.IsLoadImm64 ? 2 : 1);
                if (insn.IsLocalCall)
                {
                    callees[entry].Add(pc + insn.Imm + 1);
                }
                if (insn.IsJump && !insn.IsCall)
                {
                    if (insn.IsExit)
                    {
                        MarkLeader(next, end);
                        continue;
                    }
                    var target = BranchTarget(insn, pc);
                    if (target < entry || target >= end)
                    {
                        throw Fail(DiagnosticCodes.IrBadControlFlow,
                            $"jump to {target} leaves the function that spans {entry}..{end - 1}", pc);
                    }
                    CheckTarget(target, pc, code.Length, "jump");
                    _leader[target] = true;
                    MarkLeader(next, end);
                    if (insn.JumpOperation != JumpOperation.Ja && next >= end)
                    {
                        throw Fail(DiagnosticCodes.IrBadControlFlow, "a conditional jump falls off the end of its function", pc);
                    }
                }
                else if (next >= end)
                {
                    throw Fail(DiagnosticCodes.IrBadControlFlow, "the function does not end with exit or a jump", pc);
                }
            }
        }
        Callees = callees.ToDictionary(kv => kv.Key, kv => (IReadOnlyCollection<int>)kv.Value);
        CallDepth = Depth(0, []);
        Callbacks = [.. callbacks];
        CallbackDepth = callbacks.ToDictionary(c => c, c => Depth(c, []));
    }

    public string Program { get; }

    /// <summary>Start slot of each function, ascending; 0 is the program's entry.</summary>
    public IReadOnlyList<int> Entries { get; }

    /// <summary>One past the last slot of the function starting at the key.</summary>
    public IReadOnlyDictionary<int, int> FunctionEnd { get; }

    public IReadOnlyDictionary<int, IReadOnlyCollection<int>> Callees { get; }

    /// <summary>Frames on the deepest chain of local calls (1 = no calls).</summary>
    public int CallDepth { get; }

    /// <summary>Functions whose address the program takes (ld_imm64 src 4), ascending.</summary>
    public IReadOnlyList<int> Callbacks { get; }

    /// <summary>Frames on the deepest chain of local calls starting at each callback.</summary>
    public IReadOnlyDictionary<int, int> CallbackDepth { get; }

    public bool IsLeader(int pc) => pc < _leader.Length && _leader[pc];

    /// <summary>Where a jump (not call or exit) goes: ja in the JMP32 class (gotol) takes imm, every other jump its offset.</summary>
    public static long BranchTarget(Instruction insn, int pc) =>
        insn.JumpOperation == JumpOperation.Ja && insn.Class == InstructionClass.Jmp32
            ? (long)pc + insn.Imm + 1
            : (long)pc + insn.Offset + 1;

    public static ProgramLayout Analyze(string program, ReadOnlySpan<Instruction> code) => new(program, code);

    private void MarkLeader(int pc, int end)
    {
        if (pc < end)
        {
            _leader[pc] = true;
        }
    }

    private void CheckTarget(long target, int pc, int length, string what)
    {
        if (target < 0 || target >= length)
        {
            throw Fail(DiagnosticCodes.IrBadControlFlow, $"{what} to {target} is outside the program (0..{length - 1})", pc);
        }
        if (_secondSlot[target])
        {
            throw Fail(DiagnosticCodes.IrBadControlFlow, $"{what} to {target} lands inside an ld_imm64", pc);
        }
    }

    private int Depth(int entry, HashSet<int> onPath)
    {
        if (!onPath.Add(entry))
        {
            throw Fail(DiagnosticCodes.IrCallDepth, $"the function at {entry} calls itself (recursion is not allowed)", entry);
        }
        var deepest = 0;
        foreach (var callee in Callees[entry])
        {
            deepest = Math.Max(deepest, Depth(callee, onPath));
        }
        onPath.Remove(entry);
        var depth = deepest + 1;
        if (depth > MaxCallDepth)
        {
            throw Fail(DiagnosticCodes.IrCallDepth, $"local calls nest {depth} deep; at most {MaxCallDepth} frames are allowed", entry);
        }
        return depth;
    }

    private BpfException Fail(string code, string message, int? pc) =>
        BpfException.Create(code, message, program: Program, instruction: pc);
}
