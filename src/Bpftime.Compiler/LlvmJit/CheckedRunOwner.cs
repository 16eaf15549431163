using System.Globalization;
using System.Runtime.InteropServices;
using Bpftime.Compiler.IrGen;
using Bpftime.Diagnostics;
using Bpftime.Engines;
using Bpftime.Engines.Checked;

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

    private readonly List<Maps.BpfMap> _fixedMaps = [];

    public CheckedRunOwner(ProgramImage image)
    {
        _image = image;
        foreach (var map in image.Maps)
        {
            try
            {
                if (!map.IsDisposed && map.DirectValueAddress(0) != 0 && FixedRegions.Count + map.ValueRegions.Count() <= MaxFixedRegions)
                {
                    _fixedMaps.Add(map);
                    FixedRegions.AddRange(map.ValueRegions);
                }
            }
            catch (Exception e) when (e is NotSupportedException or ArgumentException)
            {
                // No fixed value block: its values are checked by the runtime on each access.
            }
        }
        _handle = GCHandle.Alloc(this, GCHandleType.Normal);
    }

    /// <summary>Most regions tested inline; more would make every check longer than the call they save.</summary>
    public const int MaxFixedRegions = 8;

    /// <summary>Value blocks of array and global-data maps, which stay put for the map's life.</summary>
    public List<Maps.MemoryRegion> FixedRegions { get; } = [];

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

    /// <summary>What a verified callback entry that records its frames calls (see <see cref="RunStateLayout.CallbackFramesSymbol"/>).</summary>
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
        FaultKind verdict;
        try
        {
            var owner = GCHandle.FromIntPtr(state->Owner).Target as CheckedRunOwner;
            verdict = owner?.CheckRegion(address, sizeAndKind & 0xff, (sizeAndKind & 0x100) != 0) ?? FaultKind.OutOfBounds;
        }
        catch (Exception)
        {
            // Nothing may unwind through generated code; an unreadable map is not a valid target.
            verdict = FaultKind.OutOfBounds;
        }
        if (verdict != FaultKind.None)
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

    private FaultKind CheckRegion(ulong address, int size, bool write)
    {
        // A callback may use the frames and the context of the runs that called it.
        if (AccessPolicy.InCallers(ActiveRuns.Current, address, (ulong)size))
        {
            return FaultKind.None;
        }
        return AccessPolicy.ClassifyMaps(_image.Maps, address, (ulong)size, write) switch
        {
            AccessVerdict.Allowed => FaultKind.None,
            AccessVerdict.ReadOnly => FaultKind.ReadOnly,
            _ => FaultKind.OutOfBounds,
        };
    }

    public BpfException Fault(in LlvmRunState state)
    {
        if (state.FaultKind is FaultKind.OutOfBounds or FaultKind.ReadOnly)
        {
            // The same report, with the same codes, as every engine gives for this access.
            var scene = new MemoryFaults.FaultScene(state.StackBottom, state.StackTop, state.ContextStart,
                state.ContextEnd - Math.Min(state.ContextEnd, state.ContextStart), _image.Name, _image.Origin);
            return MemoryFaults.ForInstruction(scene, _image.Maps, state.FaultKind == FaultKind.ReadOnly,
                state.FaultAddress, (ulong)(state.FaultSize & 0xff), (state.FaultSize & 0x100) != 0, state.FaultInstruction);
        }
        var access = (state.FaultSize & 0x100) != 0 ? "write" : "read";
        var size = state.FaultSize & 0xff;
        var address = "0x" + state.FaultAddress.ToString("x", CultureInfo.InvariantCulture);
        var (code, message) = state.FaultKind switch
        {
            FaultKind.UnknownHelper => (DiagnosticCodes.JitUnknownHelperAtRunTime,
                $"callx with id {state.FaultAddress}, which helper set '{_image.Helpers.Name}' does not hold"),
            FaultKind.BudgetExhausted => (DiagnosticCodes.ExecutionBudgetExhausted, Engines.ExecutionBudget.Message(ExecutionBudget)),
            _ when state.FaultAddress < 4096 => (DiagnosticCodes.NullPointerAccess,
                $"{size}-byte {access} at {address}, a null pointer"),
            _ => (DiagnosticCodes.UnknownMemoryAccess,
                $"{size}-byte {access} at {address}, outside the context, the stack and the maps' values"),
        };
        return BpfException.Create(code, message, _image.Origin, _image.Name, state.FaultInstruction);
    }
}
