using Bpftime.Compiler.Llvm;
using Bpftime.Diagnostics;
using Bpftime.Isa;

namespace Bpftime.Compiler.IrGen;

/// <summary>
/// Emits one program: declares a function per subprogram first (so calls can refer to any of them),
/// then fills each in. Decides whether the program needs the stop flag that carries a
/// "stop on zero" helper result out through nested local calls.
/// </summary>
internal sealed class ProgramEmitter
{
    private readonly Dictionary<int, LLVMValueRef> _functions = [];
    private readonly Dictionary<int, LLVMValueRef> _callbacks = [];

    public ProgramEmitter(IrGenerator generator, string name, string symbol, Instruction[] code, ProgramLayout layout, int stackSize, bool checkMemory, bool countBudget, bool socketBuffer)
    {
        CheckMemory = checkMemory;
        SocketBuffer = socketBuffer;
        CountsBudget = countBudget;
        Generator = generator;
        Name = name;
        Symbol = symbol;
        Code = code;
        Layout = layout;
        StackSize = stackSize;
        // A successful bpf_tail_call (0) must not go on either: the engine continues in the target.
        StopHelperIds = [.. generator.Helpers
            .Where(h => h.StopsProgramOnZero || (generator.TailCallHelperId == h.Id))
            .Select(h => h.Id)];
        NeedsStopFlag = countBudget || (layout.Entries.Count > 1 && CanStop());
        RecordsFrames = checkMemory || Engines.Checked.StringReaders.CanReadStrings(code);
        var types = generator.Types;
        // Every function gets the run state (whose first field is the exit flag) and its frame's end
        // (used when the frames lie in one block owned by the entry, see RecordsFrames).
        SubprogramType = LLVM.FunctionType(types.Int64, [types.Int64, types.Int64, types.Int64, types.Int64, types.Int64, types.Pointer, types.Int64]);
    }

    public IrGenerator Generator { get; }

    public string Name { get; }

    public string Symbol { get; }

    public Instruction[] Code { get; }

    public ProgramLayout Layout { get; }

    public int StackSize { get; }

    /// <summary>Helpers that end the program when they return 0.</summary>
    public IReadOnlyList<int> StopHelperIds { get; }

    /// <summary>Whether r1 is a socket buffer, so that legacy packet loads are compiled (else refused).</summary>
    public bool SocketBuffer { get; }

    /// <summary>Whether memory accesses and callx ids are checked at run time (unverified programs).</summary>
    public bool CheckMemory { get; }

    /// <summary>
    /// Whether backward jumps, local calls and callbacks spend the run state's budget: checked code,
    /// and verified code whose termination was not proven. Such code keeps its runs in the runtime's
    /// list (callback enter and leave hand the budget over) and reports faults through the run state.
    /// </summary>
    public bool CountsBudget { get; }

    /// <summary>
    /// True when a stop or a fault can happen below the entry function and must travel up through
    /// returns: the functions then share an i32 exit flag (the run state's first field when checked).
    /// </summary>
    public bool NeedsStopFlag { get; }

    /// <summary>
    /// Whether all frames lie in one block owned by the entry and the run state tells the live ones
    /// (the entry's bounds, the calling function's frame bottom before each helper call), so helpers
    /// can bound what a pointer into them reaches. Checked code always; verified code when it may call
    /// a helper whose <c>%s</c> reads a string the verifier cannot type (trace_printk, snprintf,
    /// trace_vprintk, or any helper through callx); each function then zeroes its frame as it starts,
    /// so such a string never runs into bytes the native stack held before. Other verified code keeps
    /// a frame per function, unseen by helpers and not zeroed, which LLVM can keep in registers.
    /// </summary>
    public bool RecordsFrames { get; }

    /// <summary><c>i64(i64 r1..r5, ptr state, i64 r10)</c>: the run state and the callee's frame pointer.</summary>
    public LLVMTypeRef SubprogramType { get; }

    public SortedSet<int> HelpersUsed { get; } = [];

    public SortedSet<int> MapsUsed { get; } = [];

    /// <summary>Maps whose value address the program takes (ld_imm64 src 2/6).</summary>
    public SortedSet<int> MapValuesUsed { get; } = [];

    public bool UsesHelperById { get; set; }

    public LLVMValueRef FunctionAt(int entry) => _functions[entry];

    /// <summary>The helper-ABI entry (<c>i64(i64 r1..r5)</c>) of the function at <paramref name="entry"/>, for ld_imm64 src 4.</summary>
    public LLVMValueRef CallbackAt(int entry) => _callbacks[entry];

    public IrProgramInfo Emit()
    {
        var module = Generator.Module;
        if (!LLVM.GetNamedFunction(module, Symbol).IsNull)
        {
            throw BpfException.Create(DiagnosticCodes.AotInvalidInput, $"two programs use the symbol '{Symbol}'", program: Name);
        }
        foreach (var entry in Layout.Entries)
        {
            LLVMValueRef function;
            if (entry == 0)
            {
                function = LLVM.AddFunction(module, Symbol, Generator.Types.CheckedEntry);
                LLVM.SetLinkage(function, LLVMLinkage.LLVMExternalLinkage);
            }
            else
            {
                function = LLVM.AddFunction(module, $"{Symbol}.sub{entry}", SubprogramType);
                LLVM.SetLinkage(function, LLVMLinkage.LLVMInternalLinkage);
            }
            LLVM.AddEnumAttribute(Generator.Context, function, "nounwind");
            _functions[entry] = function;
        }
        foreach (var callback in Layout.Callbacks)
        {
            var wrapper = LLVM.AddFunction(module, $"{Symbol}.callback{callback}", Generator.Types.Helper);
            LLVM.SetLinkage(wrapper, LLVMLinkage.LLVMInternalLinkage);
            LLVM.AddEnumAttribute(Generator.Context, wrapper, "nounwind");
            _callbacks[callback] = wrapper;
        }
        foreach (var entry in Layout.Entries)
        {
            new FunctionEmitter(this, entry, Layout.FunctionEnd[entry]).Emit();
        }
        foreach (var callback in Layout.Callbacks)
        {
            new CallbackEmitter(this, callback, _callbacks[callback]).Emit();
        }
        var generator = Generator;
        return new IrProgramInfo(Name, Symbol, StackSize, Layout.CallDepth, [.. HelpersUsed], [.. MapsUsed], UsesHelperById, Layout.Entries.Count)
        {
            CallbackCount = Layout.Callbacks.Count,
            MapValueIndexes = [.. MapValuesUsed],
            UsesTailCalls = generator.TailCallHelperId is { } tailCall
                && (HelpersUsed.Contains(tailCall) || (UsesHelperById && generator.Helpers.TryGet(tailCall, out _))),
        };
    }

    internal BpfException Fail(string code, string message, int pc) =>
        BpfException.Create(code, message, program: Name, instruction: pc);

    private bool CanStop()
    {
        // A legacy packet load outside the packet ends the program, from any function.
        if (SocketBuffer && Code.Any(ProgramValidator.IsLegacyPacketLoad))
        {
            return true;
        }
        if (StopHelperIds.Count == 0)
        {
            return false;
        }
        for (var pc = 0; pc < Code.Length; pc++)
        {
            var insn = Code[pc];
            if (insn.Opcode == Opcodes.CallRegister || (insn.IsHelperCall && StopHelperIds.Contains(insn.Imm)))
            {
                return true;
            }
            if (insn.IsLoadImm64)
            {
                pc++;
            }
        }
        return false;
    }
}
