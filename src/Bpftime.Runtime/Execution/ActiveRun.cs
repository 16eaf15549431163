using System.Runtime.CompilerServices;

namespace Bpftime.Execution;

/// <summary>
/// What one program run on this thread may reach, as its engine published it: the context, the
/// frames (when the engine knows them), the program's maps, and, for a callback, the runs it was
/// called from. Helper bodies and the engines' slow paths ask <see cref="AccessPolicy"/> about it.
/// Records are pooled per thread (see <see cref="ActiveRuns"/>), so publishing a run allocates nothing.
/// </summary>
public sealed unsafe class ActiveRun
{
    private ulong* _stackLowSource;
    private ulong* _stackTopSource;

    /// <summary>The executable (or module) whose code runs: callbacks are honoured only for it.</summary>
    public object? Owner { get; internal set; }

    /// <summary>False for verified code: the verifier typed the helper arguments, so only what it cannot type is checked.</summary>
    public bool ChecksMemory { get; internal set; }

    /// <summary>A callback of the run below it on this thread, which may use that run's context and frames.</summary>
    public bool IsCallback { get; internal set; }

    public ulong ContextStart { get; internal set; }

    public ulong ContextLength { get; internal set; }

    /// <summary>The maps whose values the program may reach.</summary>
    public IReadOnlyList<IMapMemory> Maps
    {
        get => _maps ?? NoMaps();
        internal set => _maps = value;
    }

    // Null between runs: the framework's empty array of map memories is two more types for the first run to load.
    private IReadOnlyList<IMapMemory>? _maps;

    /// <summary>Drops the run's maps when it ends, so that the record no longer keeps them reachable.</summary>
    internal void DropMaps() => _maps = null;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IReadOnlyList<IMapMemory> NoMaps() => [];

    public string? ProgramName { get; internal set; }

    public string? Origin { get; internal set; }

    /// <summary>The run this one was entered from on the same thread (a callback's caller), or null.</summary>
    public ActiveRun? Below { get; internal set; }

    /// <summary>
    /// Tells this run from earlier and later ones that reused the record (records are pooled per thread
    /// and depth), so that what a run holds (ring-buffer records) is never another run's.
    /// </summary>
    public ulong Serial { get; internal set; }

    /// <summary>Whether <paramref name="held"/> (a run and its <see cref="Serial"/>) is this run or, for a callback, a run that called it.</summary>
    public bool Holds(ActiveRun held, ulong serial)
    {
        for (var run = this; run is not null; run = run.IsCallback ? run.Below : null)
        {
            if (ReferenceEquals(run, held) && run.Serial == serial)
            {
                return true;
            }
        }
        return false;
    }

    internal ulong StackLowValue;
    internal ulong StackTopValue;

    /// <summary>Lowest byte of the live frames (0 when unknown).</summary>
    public ulong StackLow => _stackLowSource != null ? *_stackLowSource : StackLowValue;

    /// <summary>One past the highest byte of the outermost frame (0 when unknown).</summary>
    public ulong StackTop => _stackTopSource != null ? *_stackTopSource : StackTopValue;

    /// <summary>Sets the live frames to [low, top).</summary>
    internal void SetStack(ulong low, ulong top)
    {
        _stackLowSource = null;
        _stackTopSource = null;
        StackLowValue = low;
        StackTopValue = top;
    }

    /// <summary>The frames are read, when asked, from a run state that native code fills in (it lives as long as the run).</summary>
    internal void SetStackSource(ulong* low, ulong* top)
    {
        _stackLowSource = low;
        _stackTopSource = top;
    }

    /// <summary>The bpf_spin_lock word a checked run holds (0: none); released when the run is left, so a run that ends or faults holding it cannot block others.</summary>
    internal ulong HeldLock;

    /// <summary>Callbacks run so far by an outermost run and the callbacks nested in it (see <see cref="ProgramCallback.MaxCallbacksPerRun"/>).</summary>
    internal long CallbackCalls;
}
