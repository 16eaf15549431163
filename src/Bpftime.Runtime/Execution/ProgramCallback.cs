namespace Bpftime.Execution;

/// <summary>
/// What ld_imm64 with src 4 (a code address) puts in a register, for every engine: the address of a
/// C-callable function with the helper ABI, <c>uint64_t f(uint64_t r1, ..., uint64_t r5)</c>, that runs
/// the named program-local function on the calling thread, with a fresh stack frame, and returns its r0.
/// Callback helpers (bpf_loop, bpf_for_each_map_elem, ...) receive this address as an argument and call
/// it with <see cref="Invoke"/>, which calls it only when it is a callback entry that the executable
/// running on this thread produced (engines <see cref="Register"/> their entries): a program can name
/// only its own functions, so any other value (a libc function, a helper, another program's callback)
/// is a fault, never a jump. A fault inside the callback does not unwind through native frames: the
/// callback returns 0 and the engine raises the fault as soon as the helper returns (see <see cref="TakePendingFault"/>).
/// </summary>
public static unsafe class ProgramCallback
{
    [ThreadStatic]
    private static Exception? t_pendingFault;

    // Callback entries by address, each with the executable that produced it; made by the first
    // registration, so that programs without callbacks never build it (a framework dictionary over
    // ulong is compiled at run time, at the cost of an app's start).
    private static System.Collections.Concurrent.ConcurrentDictionary<ulong, object>? s_entries;

    /// <summary>Records <paramref name="entry"/> as a callback entry of <paramref name="owner"/> (the object engines publish as the run's owner).</summary>
    internal static void Register(nint entry, object owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        if (entry != 0)
        {
            var entries = s_entries ?? Interlocked.CompareExchange(ref s_entries, new(), null) ?? s_entries;
            entries[(ulong)entry] = owner;
        }
    }

    /// <summary>Forgets every callback entry of <paramref name="owner"/> (when its code is freed).</summary>
    internal static void Unregister(object owner)
    {
        if (s_entries is not { } entries)
        {
            return;
        }
        foreach (var (entry, registered) in entries)
        {
            if (ReferenceEquals(registered, owner))
            {
                entries.TryRemove(entry, out _);
            }
        }
    }

    /// <summary>
    /// Callbacks one run may make, its nested callbacks included: two full bpf_loops (2 x 2^23). Unverified
    /// code also spends its execution budget on each; this bound holds for verified code, whose proof of
    /// termination does not cover bpf_loop called from a bounded loop of the program.
    /// </summary>
    public const long MaxCallbacksPerRun = 1L << 24;

    /// <summary>
    /// Calls the callback entry at <paramref name="address"/> (from ld_imm64 src 4) with five arguments,
    /// as a callback run nested in the current one. Anything but an entry of the running executable is
    /// a BPF4040 fault.
    /// </summary>
    public static ulong Invoke(ulong address, ulong r1 = 0, ulong r2 = 0, ulong r3 = 0, ulong r4 = 0, ulong r5 = 0)
    {
        var run = ActiveRuns.Current;
        object? owner = null;
        if (run is null || s_entries is not { } entries || !entries.TryGetValue(address, out owner) || !ReferenceEquals(owner, run.Owner))
        {
            throw Diagnostics.BpfException.Create(Diagnostics.DiagnosticCodes.ForgedCallback,
                run is null
                    ? $"callback 0x{address:x} was invoked with no program running on this thread; only a callback helper called by the program may run its callbacks"
                    : $"callback argument 0x{address:x} is not a function of the running program; pass a function of the program itself (ld_imm64 with src 4)",
                run?.Origin, run?.ProgramName);
        }
        var outermost = run;
        while (outermost.IsCallback && outermost.Below is { } below)
        {
            outermost = below;
        }
        if (++outermost.CallbackCalls > MaxCallbacksPerRun)
        {
            // Verified code is proved to end, but bpf_loop in a bounded loop multiplies: this keeps one run finite.
            throw Diagnostics.BpfException.Create(Diagnostics.DiagnosticCodes.ExecutionBudgetExhausted,
                $"the program ran more than {MaxCallbacksPerRun} callbacks (bpf_loop, bpf_for_each_map_elem) in one run; a run may make at most that many, verified or not",
                run.Origin, run.ProgramName);
        }
        var callback = ActiveRuns.Enter(owner, run.ChecksMemory, run.ContextStart, run.ContextLength, run.Maps, run.ProgramName, run.Origin, isCallback: true);
        // The engine publishes the callback's frames when it knows them (the jit, checked native
        // code); a verified native callback's own frames stay unknown, so nothing of them is reachable.
        try
        {
            return ((delegate* unmanaged<ulong, ulong, ulong, ulong, ulong, ulong>)address)(r1, r2, r3, r4, r5);
        }
        finally
        {
            ActiveRuns.Leave(callback);
        }
    }

    /// <summary>True when a callback on this thread has faulted and the fault waits to be raised.</summary>
    public static bool HasPendingFault => t_pendingFault is not null;

    /// <summary>Records a callback's fault on this thread (the first one wins) so that the engine can raise it after the helper returns.</summary>
    public static void RecordFault(Exception fault) => t_pendingFault ??= fault;

    /// <summary>Takes the pending fault of this thread, if any.</summary>
    public static Exception? TakePendingFault()
    {
        var fault = t_pendingFault;
        t_pendingFault = null;
        return fault;
    }

    /// <summary>
    /// Raises the fault a helper or callback recorded on this thread while native code ran, as a
    /// <see cref="Diagnostics.BpfException"/> (a helper's own BpfException keeps its code).
    /// </summary>
    public static void ThrowIfPendingFault(string? programName = null)
    {
        if (t_pendingFault is null)
        {
            return;
        }
        var fault = TakePendingFault()!;
        if (fault is Diagnostics.BpfException)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(fault).Throw();
        }
        throw new Diagnostics.BpfException(new Diagnostics.BpfDiagnostic(Diagnostics.DiagnosticCodes.HelperThrew,
            $"a helper failed while the program ran: {fault.GetType().Name}: {fault.Message}", Program: programName), fault);
    }
}
