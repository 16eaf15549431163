using System.Globalization;
using System.Runtime.InteropServices;
using Bpftime.Compiler.IrGen;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Aot;
using Bpftime.Engines.Checked;
using Bpftime.Execution;

namespace Bpftime.Compiler.LlvmJit;

/// <summary>
/// The managed side of checked code: decides accesses the inline checks could not (map values, and
/// the context and frames of runs further up this thread while a callback runs), and turns a
/// fault recorded in a run state into a <see cref="BpfException"/>. Generated code reaches it
/// through the GCHandle in the run state's owner field.
/// </summary>
internal sealed unsafe class CheckedRunOwner : IDisposable
{
    [ThreadStatic]
    private static List<nint>? t_activeRuns;

    private readonly ProgramImage _image;
    private GCHandle _handle;

    private readonly List<Maps.BpfMap> _fixedMaps;

    public CheckedRunOwner(ProgramImage image)
    {
        _image = image;
        _fixedMaps = Engines.Checked.FixedRegions.Collect(image.Maps, FixedRegions);
        _handle = GCHandle.Alloc(this, GCHandleType.Normal);
    }

    /// <summary>Value blocks of array and global-data maps, which stay put for the map's life.</summary>
    public List<Execution.MemoryRegion> FixedRegions { get; } = [];

    /// <summary>Whether the inline test of <see cref="FixedRegions"/> may be used for a run starting now.</summary>
    public bool FixedRegionsLive => _fixedMaps.TrueForAll(m => !m.IsDisposed);

    /// <summary>What a run of the checked code may spend (see <see cref="EngineOptions.ExecutionBudget"/>).</summary>
    public long ExecutionBudget { get; init; } = EngineOptions.DefaultExecutionBudget;

    /// <summary>The value generated code stores in the run state's owner field.</summary>
    public nint Handle => GCHandle.ToIntPtr(_handle);

    public static nint MemoryCheckEntry { get; } = (nint)(delegate* unmanaged<LlvmRunState*, ulong, int, int>)&Check;

    public static nint CallbackFaultEntry { get; } = (nint)(delegate* unmanaged<LlvmRunState*, void>)&CallbackFault;

    public static nint CallbackEnterEntry { get; } = (nint)(delegate* unmanaged<LlvmRunState*, int>)&CallbackEnter;

    public static nint CallbackLeaveEntry { get; } = (nint)(delegate* unmanaged<void>)&CallbackLeave;

    /// <summary>What a verified callback entry that records its frames calls (see <see cref="AotCheckedAbi.CallbackFramesSymbol"/>).</summary>
    public static nint CallbackFramesEntry { get; } = (nint)(delegate* unmanaged<LlvmRunState*, void>)&CallbackFrames;

    /// <summary>Runs on one thread, the outermost program included, that may nest through callbacks (as the interpreter allows).</summary>
    public const int MaxNestedRuns = 8;

    /// <summary>Lists <paramref name="state"/> as a live run of this thread, so callbacks it triggers may reach its context and frames.</summary>
    public static void Enter(LlvmRunState* state) => (t_activeRuns ??= []).Add((nint)state);

    public static void Leave() => t_activeRuns!.RemoveAt(t_activeRuns.Count - 1);

    public void Dispose()
    {
        if (_handle.IsAllocated)
        {
            _handle.Free();
        }
    }

    [UnmanagedCallersOnly]
    private static int Check(LlvmRunState* state, ulong address, int sizeAndKind)
    {
        int verdict;
        try
        {
            var owner = GCHandle.FromIntPtr(state->Owner).Target as CheckedRunOwner;
            verdict = owner?.CheckRegion(address, sizeAndKind & 0xff, (sizeAndKind & 0x100) != 0) ?? AotCheckedAbi.FaultOutOfBounds;
        }
        catch (Exception)
        {
            // Nothing may unwind through generated code; an unreadable map is not a valid target.
            verdict = AotCheckedAbi.FaultOutOfBounds;
        }
        if (verdict != AotCheckedAbi.FaultNone)
        {
            state->FaultAddress = address;
            state->FaultSize = sizeAndKind;
            state->FaultKind = verdict;
        }
        return (int)verdict;
    }

    [UnmanagedCallersOnly]
    private static int CallbackEnter(LlvmRunState* state)
    {
        try
        {
            var runs = t_activeRuns ??= [];
            if (runs.Count >= MaxNestedRuns)
            {
                if (GCHandle.FromIntPtr(state->Owner).Target is CheckedRunOwner owner)
                {
                    ProgramCallback.RecordFault(BpfException.Create(DiagnosticCodes.JitCallDepthExceeded,
                        $"callbacks nest more than {MaxNestedRuns} runs deep", owner._image.Origin, owner._image.Name));
                }
                return 1;
            }
            // A callback spends the budget of the run whose helper started it (none without one).
            state->Budget = runs.Count > 0 ? ((LlvmRunState*)runs[^1])->Budget : 0;
            runs.Add((nint)state);
            // The callback's run (entered by ProgramCallback.Invoke) has this frame block.
            ActiveRuns.Current?.SetStackSource(&state->StackBottom, &state->StackTop);
            return 0;
        }
        catch (Exception)
        {
            return 1;
        }
    }

    [UnmanagedCallersOnly]
    private static void CallbackFrames(LlvmRunState* state) =>
        // The callback's run (entered by ProgramCallback.Invoke) has this frame block.
        ActiveRuns.Current?.SetStackSource(&state->StackBottom, &state->StackTop);

    [UnmanagedCallersOnly]
    private static void CallbackLeave()
    {
        if (t_activeRuns is { Count: > 0 } runs)
        {
            // Hand what the callback left of the budget back to the run above.
            if (runs.Count > 1)
            {
                ((LlvmRunState*)runs[^2])->Budget = ((LlvmRunState*)runs[^1])->Budget;
            }
            runs.RemoveAt(runs.Count - 1);
        }
    }

    [UnmanagedCallersOnly]
    private static void CallbackFault(LlvmRunState* state)
    {
        try
        {
            if (GCHandle.FromIntPtr(state->Owner).Target is CheckedRunOwner owner)
            {
                ProgramCallback.RecordFault(owner.Fault(in *state));
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
        if (AccessPolicy.InCallers(ActiveRuns.Current, address, (ulong)size))
        {
            return AotCheckedAbi.FaultNone;
        }
        return AccessPolicy.ClassifyMaps(_image.Maps, address, (ulong)size, write) switch
        {
            AccessVerdict.Allowed => AotCheckedAbi.FaultNone,
            AccessVerdict.ReadOnly => AotCheckedAbi.FaultReadOnly,
            _ => AotCheckedAbi.FaultOutOfBounds,
        };
    }

    public BpfException Fault(in LlvmRunState state)
    {
        if (state.FaultKind is AotCheckedAbi.FaultOutOfBounds or AotCheckedAbi.FaultReadOnly)
        {
            // The same report, with the same codes, as every engine gives for this access.
            var scene = new MemoryFaults.FaultScene(state.StackBottom, state.StackTop, state.ContextStart,
                state.ContextEnd - Math.Min(state.ContextEnd, state.ContextStart), _image.Name, _image.Origin);
            return MemoryFaults.ForInstruction(scene, _image.Maps, state.FaultKind == AotCheckedAbi.FaultReadOnly,
                state.FaultAddress, (ulong)(state.FaultSize & 0xff), (state.FaultSize & 0x100) != 0, state.FaultInstruction);
        }
        var access = (state.FaultSize & 0x100) != 0 ? "write" : "read";
        var size = state.FaultSize & 0xff;
        var address = "0x" + state.FaultAddress.ToString("x", CultureInfo.InvariantCulture);
        var (code, message) = state.FaultKind switch
        {
            AotCheckedAbi.FaultUnknownHelper => (DiagnosticCodes.JitUnknownHelperAtRunTime,
                $"callx with id {state.FaultAddress}, which helper set '{_image.Helpers.Name}' does not hold"),
            AotCheckedAbi.FaultBudgetExhausted => (DiagnosticCodes.ExecutionBudgetExhausted, Engines.ExecutionBudget.Message(ExecutionBudget)),
            _ when state.FaultAddress < 4096 => (DiagnosticCodes.NullPointerAccess,
                $"{size}-byte {access} at {address}, a null pointer"),
            _ => (DiagnosticCodes.UnknownMemoryAccess,
                $"{size}-byte {access} at {address}, outside the context, the stack and the maps' values"),
        };
        return BpfException.Create(code, message, _image.Origin, _image.Name, state.FaultInstruction);
    }
}
