using System.Globalization;
using System.Runtime.InteropServices;
using Bpftime.Diagnostics;
using Bpftime.Execution;
using Bpftime.Maps;

namespace Bpftime.Engines.Aot;

/// <summary>
/// The managed side of checked native code in a linked module: decides the accesses the inline
/// checks could not (map values, and the context and frames of runs further up this thread while a
/// callback runs) and turns a fault recorded in a run state into a <see cref="BpfException"/> with the
/// instruction index. Code reaches it through the GCHandle in the run state's owner field, which
/// the linker also binds to <see cref="AotCheckedAbi.OwnerSymbol"/> for callback entries.
/// </summary>
internal sealed unsafe class AotCheckedRuntime : IDisposable
{
    /// <summary>Runs on one thread, the outermost included, that may nest through callbacks.</summary>
    public const int MaxNestedRuns = 8;

    [ThreadStatic]
    private static List<nint>? t_activeRuns;

    private readonly IReadOnlyList<BpfMap> _maps;
    private readonly string? _origin;
    private readonly string _helperSet;
    private GCHandle _handle;

    public AotCheckedRuntime(IReadOnlyList<BpfMap> maps, string? origin, string helperSet)
    {
        _maps = maps;
        _origin = origin;
        _helperSet = helperSet;
        _handle = GCHandle.Alloc(this, GCHandleType.Normal);
    }

    /// <summary>The program named in faults raised from callbacks, where no run names one (set when the module has a single program).</summary>
    public string? CallbackProgram { get; set; }

    /// <summary>What a run of the module's checked code may spend (see <see cref="EngineOptions.ExecutionBudget"/>).</summary>
    public long ExecutionBudget { get; set; } = EngineOptions.DefaultExecutionBudget;

    /// <summary>The value the run state's owner field holds.</summary>
    public nint Handle => _handle.IsAllocated ? GCHandle.ToIntPtr(_handle) : 0;

    public static nint MemoryCheckEntry { get; } = (nint)(delegate* unmanaged<AotRunState*, ulong, int, int>)&Check;

    public static nint CallbackFaultEntry { get; } = (nint)(delegate* unmanaged<AotRunState*, void>)&CallbackFault;

    public static nint CallbackEnterEntry { get; } = (nint)(delegate* unmanaged<AotRunState*, int>)&CallbackEnter;

    public static nint CallbackLeaveEntry { get; } = (nint)(delegate* unmanaged<void>)&CallbackLeave;

    public static nint CallbackFramesEntry { get; } = (nint)(delegate* unmanaged<AotRunState*, void>)&CallbackFrames;

    /// <summary>The native entry the linker binds to one of <see cref="AotCheckedAbi.FunctionSymbols"/>.</summary>
    public static nint EntryFor(string symbol) => symbol switch
    {
        AotCheckedAbi.MemoryCheckSymbol => MemoryCheckEntry,
        AotCheckedAbi.CallbackFaultSymbol => CallbackFaultEntry,
        AotCheckedAbi.CallbackEnterSymbol => CallbackEnterEntry,
        AotCheckedAbi.CallbackLeaveSymbol => CallbackLeaveEntry,
        AotCheckedAbi.CallbackFramesSymbol => CallbackFramesEntry,
        _ => 0,
    };

    /// <summary>Lists <paramref name="state"/> as a live run of this thread, so callbacks it triggers may reach its context and frames.</summary>
    public static void Enter(AotRunState* state) => (t_activeRuns ??= []).Add((nint)state);

    public static void Leave() => t_activeRuns!.RemoveAt(t_activeRuns.Count - 1);

    public void Dispose()
    {
        if (_handle.IsAllocated)
        {
            _handle.Free();
        }
    }

    [UnmanagedCallersOnly]
    private static int Check(AotRunState* state, ulong address, int sizeAndKind)
    {
        int verdict;
        try
        {
            var owner = state->Owner == 0 ? null : GCHandle.FromIntPtr(state->Owner).Target as AotCheckedRuntime;
            verdict = owner?.CheckRegion(address, sizeAndKind & 0xff, (sizeAndKind & 0x100) != 0) ?? AotCheckedAbi.FaultOutOfBounds;
        }
        catch (Exception)
        {
            // Nothing may unwind through native code; an unreadable map is not a valid target.
            verdict = AotCheckedAbi.FaultOutOfBounds;
        }
        if (verdict != AotCheckedAbi.FaultNone)
        {
            state->FaultAddress = address;
            state->FaultSize = sizeAndKind;
            state->FaultKind = verdict;
        }
        return verdict;
    }

    [UnmanagedCallersOnly]
    private static int CallbackEnter(AotRunState* state)
    {
        try
        {
            var runs = t_activeRuns ??= [];
            if (runs.Count >= MaxNestedRuns)
            {
                if (state->Owner != 0 && GCHandle.FromIntPtr(state->Owner).Target is AotCheckedRuntime owner)
                {
                    ProgramCallback.RecordFault(BpfException.Create(DiagnosticCodes.JitCallDepthExceeded,
                        $"callbacks nest more than {MaxNestedRuns} runs deep", owner._origin, owner.CallbackProgram));
                }
                return 1;
            }
            // A callback spends the budget of the run whose helper started it (none without one).
            state->Budget = runs.Count > 0 ? ((AotRunState*)runs[^1])->Budget : 0;
            runs.Add((nint)state);
            // The callback's run (entered by ProgramCallback.Invoke) has this frame block.
            Execution.ActiveRuns.Current?.SetStackSource(&state->StackBottom, &state->StackTop);
            return 0;
        }
        catch (Exception)
        {
            return 1;
        }
    }

    [UnmanagedCallersOnly]
    private static void CallbackFrames(AotRunState* state) =>
        // The callback's run (entered by ProgramCallback.Invoke) has this frame block.
        Execution.ActiveRuns.Current?.SetStackSource(&state->StackBottom, &state->StackTop);

    [UnmanagedCallersOnly]
    private static void CallbackLeave()
    {
        if (t_activeRuns is { Count: > 0 } runs)
        {
            // Hand what the callback left of the budget back to the run above.
            if (runs.Count > 1)
            {
                ((AotRunState*)runs[^2])->Budget = ((AotRunState*)runs[^1])->Budget;
            }
            runs.RemoveAt(runs.Count - 1);
        }
    }

    [UnmanagedCallersOnly]
    private static void CallbackFault(AotRunState* state)
    {
        try
        {
            if (state->Owner != 0 && GCHandle.FromIntPtr(state->Owner).Target is AotCheckedRuntime owner)
            {
                ProgramCallback.RecordFault(owner.Fault(in *state, owner.CallbackProgram));
            }
        }
        catch (Exception)
        {
            // Recording is best effort; the callback still returns 0.
        }
    }

    private int CheckRegion(ulong address, int size, bool write)
    {
        // A callback may use the frames and the context of the runs that called it.
        if (Execution.AccessPolicy.InCallers(Execution.ActiveRuns.Current, address, (ulong)size))
        {
            return AotCheckedAbi.FaultNone;
        }
        return Execution.AccessPolicy.ClassifyMaps(_maps, address, (ulong)size, write) switch
        {
            Execution.AccessVerdict.Allowed => AotCheckedAbi.FaultNone,
            Execution.AccessVerdict.ReadOnly => AotCheckedAbi.FaultReadOnly,
            _ => AotCheckedAbi.FaultOutOfBounds,
        };
    }

    /// <summary>The fault recorded in <paramref name="state"/>, as the interpreter and llvm-jit report it.</summary>
    public BpfException Fault(in AotRunState state, string? program)
    {
        if (state.FaultKind is AotCheckedAbi.FaultOutOfBounds or AotCheckedAbi.FaultReadOnly)
        {
            // The same report, with the same codes, as every engine gives for this access.
            var scene = new Execution.MemoryFaults.FaultScene(state.StackBottom, state.StackTop, state.ContextStart,
                state.ContextEnd - Math.Min(state.ContextEnd, state.ContextStart), program, _origin);
            return Execution.MemoryFaults.ForInstruction(scene, _maps, state.FaultKind == AotCheckedAbi.FaultReadOnly,
                state.FaultAddress, (ulong)(state.FaultSize & 0xff), (state.FaultSize & 0x100) != 0, state.FaultInstruction);
        }
        var access = (state.FaultSize & 0x100) != 0 ? "write" : "read";
        var size = state.FaultSize & 0xff;
        var address = "0x" + state.FaultAddress.ToString("x", CultureInfo.InvariantCulture);
        var (code, message) = state.FaultKind switch
        {
            AotCheckedAbi.FaultUnknownHelper => (DiagnosticCodes.JitUnknownHelperAtRunTime,
                $"callx with id {state.FaultAddress}, which helper set '{_helperSet}' does not hold"),
            AotCheckedAbi.FaultBudgetExhausted => (DiagnosticCodes.ExecutionBudgetExhausted, Engines.ExecutionBudget.Message(ExecutionBudget)),
            _ when state.FaultAddress < 4096 => (DiagnosticCodes.NullPointerAccess,
                $"{size}-byte {access} at {address}, a null pointer"),
            _ => (DiagnosticCodes.UnknownMemoryAccess,
                $"{size}-byte {access} at {address}, outside the context, the stack and the maps' values"),
        };
        return BpfException.Create(code, message, _origin, program, state.FaultInstruction);
    }
}
