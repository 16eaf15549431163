using Bpftime.Compiler.Llvm;
using Bpftime.Engines;

namespace Bpftime.Compiler.IrGen;

/// <summary>Compare trees on one register become one LLVM <c>switch</c> (see <see cref="SwitchRecognizer"/>).</summary>
internal sealed partial class FunctionEmitter
{
    private Dictionary<int, SwitchTree>? _switches;

    /// <summary>
    /// Emits the tree rooted at the jump in slot <paramref name="pc"/> as a <c>switch</c>, when there is
    /// one. Its interior jumps are still emitted where they stand, unreached, and LLVM drops them.
    /// </summary>
    private bool TryEmitSwitch(int pc)
    {
        _switches ??= SwitchRecognizer.Find(Code, _entry, _end, _program.CountsBudget);
        if (!_switches.TryGetValue(pc, out var tree))
        {
            return false;
        }
        var value = Get(tree.Register);
        if (tree.Narrow)
        {
            value = LLVM.BuildTrunc(_b, value, _t.Int32, "");
        }
        // A leaf reached by a backward jump goes through that jump's budget check first.
        var backEdges = new Dictionary<(int Target, int At), LLVMBasicBlockRef>();
        LLVMBasicBlockRef Destination(int target, int? backEdgeAt)
        {
            if (backEdgeAt is not { } at)
            {
                return _blocks[target];
            }
            if (!backEdges.TryGetValue((target, at), out var block))
            {
                block = LLVM.AppendBasicBlockInContext(_generator.Context, _function, $"back{at}");
                backEdges[(target, at)] = block;
            }
            return block;
        }
        var (defaultTarget, defaultBackEdge) = tree.Default!.Value;
        var cases = tree.Cases().ToList();
        var instruction = LLVM.BuildSwitch(_b, value, Destination(defaultTarget, defaultBackEdge), (uint)cases.Count);
        foreach (var (constant, target, backEdgeAt) in cases)
        {
            LLVM.AddCase(instruction, tree.Narrow ? _t.I32((int)(uint)constant) : _t.I64((long)constant), Destination(target, backEdgeAt));
        }
        foreach (var ((target, at), block) in backEdges)
        {
            LLVM.PositionBuilderAtEnd(_b, block);
            SpendBudget(at);
            LLVM.BuildBr(_b, _blocks[target]);
        }
        _terminated = true;
        return true;
    }
}
