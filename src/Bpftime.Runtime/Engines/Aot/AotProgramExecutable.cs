using System.Runtime.CompilerServices;
using Bpftime.Diagnostics;
using Bpftime.Execution;

namespace Bpftime.Engines.Aot;

/// <summary>
/// A program of a linked <see cref="AotModule"/>: <c>u64 entry(void* ctx, u64 len[, run state*])</c> called
/// through the module's run routine, which lets helpers with StopsProgramOnZero end it early with r0 = 0.
/// Checked code (see <see cref="AotCheckedAbi"/>) gets a run state and may stop with a recorded fault,
/// raised here as a <see cref="BpfException"/> with the instruction index.
/// Disposing it does nothing; the module owns the memory.
/// </summary>
internal sealed unsafe class AotProgramExecutable(AotModule module, string name, nint entry, nint run, bool isChecked)
    : IBpfExecutable, ITailCallTarget, ITailCallRunnable
{
    // Code compiled with the tail-call helper in its set returns as soon as a tail call is armed.
    private readonly bool _usesTailCalls = UsesHelper(AotModule.FindProgram(module.Metadata, name), Helpers.HelperIds.TailCall);

    // Checked code, and verified code not proven to end, count the budget: their runs join the
    // checked-code runtime's list so that callbacks spend and hand back the same budget.
    private readonly bool _countsBudget = isChecked || (AotModule.FindProgram(module.Metadata, name)?.CountsBudget ?? false);

    public bool IsChecked => isChecked;

    /// <summary>Whether the code counts back-edges, local calls and callbacks against the execution budget.</summary>
    public bool CountsBudget => _countsBudget;

    public string EngineName => "aot";

    public string Name => name;

    public nint EntryAddress => entry;

    public ulong Execute(nint context, ulong contextLength) =>
        _usesTailCalls ? RunChain(context, contextLength) : RunOnce(context, contextLength);

    // Apart from Execute: precompiled code loads the chain's generic types before a method's first run,
    // and most programs never tail-call.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong RunChain(nint context, ulong contextLength) => TailCallChain<AotProgramExecutable>.Run(this, context, contextLength);

    public long ArmTailCall() => TailCallChain<AotProgramExecutable>.Arm(this);

    bool ITailCallRunnable.CanBeEntered => !module.IsDisposed;

    ulong ITailCallRunnable.RunOnce(nint context, ulong contextLength) => RunOnce(context, contextLength);

    private ulong RunOnce(nint context, ulong contextLength)
    {
        ObjectDisposedException.ThrowIf(module.IsDisposed, module);
        AotRunFrame frame = default;
        // Unchecked entries ignore the third argument; checked ones keep their bounds and faults in it.
        AotRunState state = default;
        state.ContextStart = (ulong)context;
        state.ContextEnd = context == 0 ? 0 : (ulong)context + contextLength;
        state.Owner = module.Checks.Handle;
        // Inline-tested map values (objects linked in-process only) are valid while the module's maps live.
        state.FixedRegionsLive = isChecked && module.MapsAlive() ? 1 : 0;
        state.Budget = (ulong)module.Checks.ExecutionBudget;
        // Entered first: a refusal (runs nested too deep) must leave nothing of this run behind.
        var active = ActiveRuns.Enter(this, isChecked, (ulong)context, contextLength, module.Maps, name, module.Origin);
        // Checked and verified code alike record their live frames in the run state.
        active.SetStackSource(&state.StackBottom, &state.StackTop);
        var previous = AotRunFrame.Current;
        AotRunFrame.Current = &frame;
        if (_countsBudget)
        {
            AotCheckedRuntime.Enter(&state);
        }
        ulong result;
        try
        {
            result = ((delegate* unmanaged<nint, ulong, nint, AotRunFrame*, AotRunState*, ulong>)run)(context, contextLength, entry, &frame, &state);
        }
        finally
        {
            ActiveRuns.Leave(active);
            if (_countsBudget)
            {
                AotCheckedRuntime.Leave();
            }
            AotRunFrame.Current = previous;
        }
        module.KeepAlive();
        if (state.Exit == AotCheckedAbi.Faulted)
        {
            _ = ProgramCallback.TakePendingFault();
            throw module.Checks.Fault(in state, name);
        }
        ProgramCallback.ThrowIfPendingFault(name);
        if (frame.Faulted != 0)
        {
            throw BpfException.Create(DiagnosticCodes.LinkHelperFaultAtRunTime,
                $"program '{name}' called helper #{frame.FaultHelperId} by id (callx), which helper set '{module.Helpers.Name}' does not hold; the call returned -ENOSYS",
                module.Origin, name);
        }
        return result;
    }

    private static bool UsesHelper(AotProgram? program, int id)
    {
        if (program is null)
        {
            return false;
        }
        // Over the reader's array: a call through the list interface loads its types over the element.
        foreach (var helper in program.HelperArray)
        {
            if (helper.Id == id)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// How far below the engine's frame verified code's eBPF frames may lie: the deepest chain of
    /// frames the compiler allows, plus the entry's own spill area.
    /// </summary>

    public void Dispose()
    {
    }
}
