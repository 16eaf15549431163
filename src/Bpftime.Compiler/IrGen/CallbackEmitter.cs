using Bpftime.Compiler.Llvm;
using Bpftime.Engines.Aot;

namespace Bpftime.Compiler.IrGen;

/// <summary>
/// The helper-ABI entry <c>i64(i64 r1..r5)</c> of a function whose address the program takes
/// (ld_imm64 src 4): callback helpers call it on the running thread. It gives the function a fresh
/// frame and, for checked code, a fresh run state; a stop ends only the callback (result 0) and a
/// fault is handed to <c>_bpf_callback_fault</c>, which the engine raises once the program returns.
/// </summary>
internal sealed class CallbackEmitter(ProgramEmitter program, int entry, LLVMValueRef wrapper)
{
    public void Emit()
    {
        var generator = program.Generator;
        var t = generator.Types;
        var b = generator.Builder;
        LLVM.PositionBuilderAtEnd(b, LLVM.AppendBasicBlockInContext(generator.Context, wrapper, "entry"));
        var arguments = new List<LLVMValueRef>();
        for (uint i = 0; i < 5; i++)
        {
            arguments.Add(LLVM.GetParam(wrapper, i));
        }
        // A fresh run state (its first field the exit flag) and frame block, checked or verified.
        var flag = LLVM.BuildAlloca(b, LLVM.ArrayType(t.Int8, AotCheckedAbi.Size), "state");
        LLVM.SetAlignment(flag, 8);
        for (var offset = 0; offset < AotCheckedAbi.Size; offset += 8)
        {
            LLVM.BuildStore(b, t.I64(0), Field(offset));
        }
        arguments.Add(flag);
        if (program.RecordsFrames)
        {
            var frameBytes = program.StackSize * program.Layout.CallbackDepth[entry];
            var frame = LLVM.BuildAlloca(b, LLVM.ArrayType(t.Int8, (uint)frameBytes), "frame");
            LLVM.SetAlignment(frame, 16);
            var bottom = LLVM.BuildPtrToInt(b, frame, t.Int64, "");
            var top = LLVM.BuildAdd(b, bottom, t.I64(frameBytes), "");
            LLVM.BuildStore(b, bottom, Field(AotCheckedAbi.StackBottom));
            LLVM.BuildStore(b, top, Field(AotCheckedAbi.StackTop));
            arguments.Add(top);
            if (!program.CountsBudget)
            {
                // Entries that count tell the runtime through _bpf_callback_enter; the others only need this.
                var (framesType, frames) = generator.RuntimeFunction(AotCheckedAbi.CallbackFramesSymbol, LLVM.FunctionType(LLVM.VoidTypeInContext(generator.Context), [t.Pointer]));
                LLVM.BuildCall2(b, framesType, frames, [flag], "");
            }
        }
        else
        {
            // The function allocates its own frame.
            arguments.Add(t.I64(0));
        }
        // Code that counts (checked, or verified but not proven to end) joins the runtime's runs so that
        // the callback spends the budget of the run above and hands back what is left.
        if (program.CountsBudget)
        {
            var owner = LLVM.BuildPtrToInt(b, generator.DataSymbol(AotCheckedAbi.OwnerSymbol), t.Int64, "");
            LLVM.BuildStore(b, owner, Field(AotCheckedAbi.Owner));

            // Callbacks may start helpers that call back again: the runtime bounds the nesting.
            var (enterType, enter) = generator.RuntimeFunction(AotCheckedAbi.CallbackEnterSymbol, LLVM.FunctionType(t.Int32, [t.Pointer]));
            var refused = LLVM.BuildICmp(b, LLVMIntPredicate.LLVMIntNE, LLVM.BuildCall2(b, enterType, enter, [flag], ""), t.I32(0), "");
            var tooDeep = LLVM.AppendBasicBlockInContext(generator.Context, wrapper, "too_deep");
            var run = LLVM.AppendBasicBlockInContext(generator.Context, wrapper, "run");
            LLVM.BuildCondBr(b, refused, tooDeep, run);
            LLVM.PositionBuilderAtEnd(b, tooDeep);
            LLVM.BuildRet(b, t.I64(0));
            LLVM.PositionBuilderAtEnd(b, run);
        }
        var spentBlock = default(LLVMBasicBlockRef);
        var afterCall = default(LLVMBasicBlockRef);
        if (program.CountsBudget)
        {
            // The invocation spends one unit of the budget the runtime took over from the run above.
            var budget = Field(AotCheckedAbi.Budget);
            var left = LLVM.BuildLoad2(b, t.Int64, budget, "budget");
            var spent = LLVM.BuildICmp(b, LLVMIntPredicate.LLVMIntEQ, left, t.I64(0), "");
            spentBlock = LLVM.AppendBasicBlockInContext(generator.Context, wrapper, "spent");
            var call = LLVM.AppendBasicBlockInContext(generator.Context, wrapper, "call");
            afterCall = LLVM.AppendBasicBlockInContext(generator.Context, wrapper, "after");
            LLVM.BuildCondBr(b, spent, spentBlock, call);
            LLVM.PositionBuilderAtEnd(b, spentBlock);
            LLVM.BuildStore(b, t.I32(AotCheckedAbi.FaultBudgetExhausted), Field(AotCheckedAbi.FaultKind));
            LLVM.BuildStore(b, t.I32(entry), Field(AotCheckedAbi.FaultInstruction));
            LLVM.BuildStore(b, t.I32(AotCheckedAbi.Faulted), flag);
            LLVM.BuildBr(b, afterCall);
            LLVM.PositionBuilderAtEnd(b, call);
            LLVM.BuildStore(b, LLVM.BuildSub(b, left, t.I64(1), ""), budget);
        }
        var result = LLVM.BuildCall2(b, program.SubprogramType, program.FunctionAt(entry), arguments.ToArray(), "");
        if (program.CountsBudget)
        {
            var called = LLVM.GetInsertBlock(b);
            LLVM.BuildBr(b, afterCall);
            LLVM.PositionBuilderAtEnd(b, afterCall);
            var merged = LLVM.BuildPhi(b, t.Int64, "r0");
            LLVM.AddIncoming(merged, [result, t.I64(0)], [called, spentBlock]);
            result = merged;
        }
        if (!program.CountsBudget && !program.NeedsStopFlag)
        {
            LLVM.BuildRet(b, result);
            return;
        }
        if (program.CountsBudget)
        {
            var (leaveType, leave) = generator.RuntimeFunction(AotCheckedAbi.CallbackLeaveSymbol, LLVM.FunctionType(LLVM.VoidTypeInContext(generator.Context), []));
            LLVM.BuildCall2(b, leaveType, leave, [], "");
        }
        var exit = LLVM.BuildLoad2(b, t.Int32, flag, "");
        if (program.CountsBudget)
        {
            var faulted = LLVM.BuildICmp(b, LLVMIntPredicate.LLVMIntEQ, exit, t.I32(AotCheckedAbi.Faulted), "");
            var report = LLVM.AppendBasicBlockInContext(generator.Context, wrapper, "fault");
            var normal = LLVM.AppendBasicBlockInContext(generator.Context, wrapper, "done");
            LLVM.BuildCondBr(b, faulted, report, normal);
            LLVM.PositionBuilderAtEnd(b, report);
            var (type, function) = generator.RuntimeFunction(AotCheckedAbi.CallbackFaultSymbol, LLVM.FunctionType(LLVM.VoidTypeInContext(generator.Context), [t.Pointer]));
            LLVM.BuildCall2(b, type, function, [flag], "");
            LLVM.BuildRet(b, t.I64(0));
            LLVM.PositionBuilderAtEnd(b, normal);
        }
        var running = LLVM.BuildICmp(b, LLVMIntPredicate.LLVMIntEQ, exit, t.I32(AotCheckedAbi.Running), "");
        LLVM.BuildRet(b, LLVM.BuildSelect(b, running, result, t.I64(0), ""));

        LLVMValueRef Field(int offset) => LLVM.BuildGEP2(b, t.Int8, flag, [t.I64(offset)], "");
    }
}
