using Bpftime.Execution;

namespace Bpftime.Engines;

/// <summary>A program an engine can run once from its entry; <see cref="TailCallChain{T}"/> strings such runs together.</summary>
internal interface ITailCallRunnable
{
    /// <summary>Whether the program can still be entered (not disposed).</summary>
    bool CanBeEntered { get; }

    ulong RunOnce(nint context, ulong contextLength);
}

/// <summary>
/// The tail-call loop of engines whose programs return to managed code when a tail call is armed:
/// run, and while the run armed a target, continue in it with the same context. One chain per engine
/// type and thread; nested runs (a helper running another program) keep their own chain.
/// </summary>
internal static class TailCallChain<T>
    where T : class, ITailCallRunnable
{
    [ThreadStatic]
    private static int t_runs;

    [ThreadStatic]
    private static T? t_target;

    [ThreadStatic]
    private static int t_count;

    public static ulong Run(T first, nint context, ulong contextLength)
    {
        t_runs++;
        var previousTarget = t_target;
        var previousCount = t_count;
        t_target = null;
        t_count = 0;
        try
        {
            var current = first;
            while (true)
            {
                var r0 = current.RunOnce(context, contextLength);
                if (t_target is not { } next)
                {
                    return r0;
                }
                // The caller has unwound: continue in the target with the same context, as a tail call does.
                t_target = null;
                current = next;
            }
        }
        finally
        {
            t_target = previousTarget;
            t_count = previousCount;
            t_runs--;
        }
    }

    /// <summary>Whether a tail call is armed on this thread: the running program must return at once.</summary>
    public static bool IsArmed => t_target is not null;

    /// <summary>0 when the run of this engine active on the thread will continue in <paramref name="target"/>; else -EINVAL.</summary>
    public static long Arm(T target)
    {
        if (t_runs == 0 || !target.CanBeEntered || t_count >= TailCalls.MaxChain)
        {
            return -Maps.Errno.EINVAL;
        }
        t_count++;
        t_target = target;
        return 0;
    }
}
