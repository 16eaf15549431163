namespace Bpftime.Execution;

/// <summary>
/// The runs executing on this thread, innermost last: each engine pushes a record when a program
/// (or a callback of one) starts and pops it when it ends, checked and verified alike, so that helper
/// bodies can ask what the running program may touch. No run means a host called the helper itself.
/// </summary>
public static class ActiveRuns
{
    /// <summary>Deeper than any chain of callbacks and tail calls an engine allows.</summary>
    private const int MaxDepth = 64;

    [ThreadStatic]
    private static ActiveRun[]? t_records;

    [ThreadStatic]
    private static int t_depth;

    [ThreadStatic]
    private static ulong t_serial;

    /// <summary>The innermost run on this thread, or null when no program runs.</summary>
    public static ActiveRun? Current
    {
        get
        {
            var depth = t_depth;
            return depth == 0 ? null : t_records![depth - 1];
        }
    }

    /// <summary>Starts a run of <paramref name="owner"/>; the caller fills the stack and must call <see cref="Leave"/>.</summary>
    internal static ActiveRun Enter(object owner, bool checksMemory, ulong contextStart, ulong contextLength,
        IReadOnlyList<IMapMemory> maps, string? program, string? origin, bool isCallback = false)
    {
        var records = t_records ??= new ActiveRun[MaxDepth];
        var depth = t_depth;
        if (depth >= MaxDepth)
        {
            throw Diagnostics.BpfException.Create(Diagnostics.DiagnosticCodes.RunsNestedTooDeep,
                $"more than {MaxDepth} program runs are nested on one thread (callbacks, tail calls or helpers that run programs); reduce the nesting",
                origin, program);
        }
        var run = records[depth] ??= new ActiveRun();
        run.SetStack(0, 0);
        run.Owner = owner;
        run.ChecksMemory = checksMemory;
        run.IsCallback = isCallback;
        run.ContextStart = contextStart;
        run.ContextLength = contextStart == 0 ? 0 : contextLength;
        run.Maps = maps;
        run.ProgramName = program;
        run.Origin = origin;
        run.Below = depth == 0 ? null : records[depth - 1];
        run.Serial = ++t_serial;
        run.CallbackCalls = 0;
        t_depth = depth + 1;
        return run;
    }

    /// <summary>Ends the innermost run (which must be <paramref name="run"/>).</summary>
    internal static void Leave(ActiveRun run)
    {
        var depth = t_depth;
        if (depth > 0 && ReferenceEquals(t_records![depth - 1], run))
        {
            if (run.HeldLock != 0)
            {
                unsafe
                {
                    BpfSpinLock.Exit((uint*)run.HeldLock);
                }
                run.HeldLock = 0;
            }
            // Only what would keep an executable or its maps reachable is dropped.
            run.Owner = null;
            run.DropMaps();
            run.Below = null;
            // A record still naming this run (a ring-buffer record it never submitted) names no run now.
            run.Serial = 0;
            t_depth = depth - 1;
        }
    }
}
