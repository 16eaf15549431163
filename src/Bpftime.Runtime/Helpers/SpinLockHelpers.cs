using Bpftime.Diagnostics;
using Bpftime.Execution;

namespace Bpftime.Helpers;

/// <summary>bpf_spin_lock (93) and bpf_spin_unlock (94) on a struct bpf_spin_lock in a map value (see <see cref="Execution.BpfSpinLock"/>).</summary>
public static unsafe class SpinLockHelpers
{
    /// <summary>
    /// How long a checked run waits for a lock before it faults. Locks are only held by runs, which
    /// release them when they end, so a longer wait means a lock word the program overwrote.
    /// </summary>
    public static readonly TimeSpan CheckedWaitLimit = TimeSpan.FromSeconds(1);

    public static HelperFunction Lock { get; } = new(HelperIds.SpinLock,
        static (lockWord, _, _, _, _) =>
        {
            if (HelperMemory.Checking)
            {
                LockChecked(lockWord);
            }
            else if (lockWord != 0 && lockWord % 4 == 0)
            {
                // Verified code: the verifier proved a typed, untouched lock word and one lock at a time.
                Execution.BpfSpinLock.Enter((uint*)lockWord);
            }
            return 0;
        });

    public static HelperFunction Unlock { get; } = new(HelperIds.SpinUnlock,
        static (lockWord, _, _, _, _) =>
        {
            if (HelperMemory.Checking)
            {
                UnlockChecked(lockWord);
            }
            else if (lockWord != 0 && lockWord % 4 == 0)
            {
                Execution.BpfSpinLock.Exit((uint*)lockWord);
            }
            return 0;
        });

    public static IEnumerable<HelperFunction> All => [Lock, Unlock];

    // Checked runs follow the verifier's rules at run time: a writable map value, one lock at a time,
    // only the holder unlocks, and a bounded wait, so no program can make a thread spin for ever.
    private static void LockChecked(ulong lockWord)
    {
        var run = ActiveRuns.Current!;
        RequireLockWord(run, lockWord, "spin_lock");
        if (Holder(run) is { } holder)
        {
            throw Misuse(run, $"spin_lock: the program already holds the bpf_spin_lock at 0x{holder.HeldLock:x}; a program may hold one lock at a time (unlock it first)");
        }
        if (!Execution.BpfSpinLock.TryEnter((uint*)lockWord, CheckedWaitLimit))
        {
            throw Misuse(run, $"spin_lock: the bpf_spin_lock at 0x{lockWord:x} stayed taken for {CheckedWaitLimit.TotalMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} ms; no run holds it that long, so its word was overwritten (programs must not store to a lock)");
        }
        run.HeldLock = lockWord;
    }

    private static void UnlockChecked(ulong lockWord)
    {
        var run = ActiveRuns.Current!;
        RequireLockWord(run, lockWord, "spin_unlock");
        var holder = Holder(run);
        if (holder is null || holder.HeldLock != lockWord)
        {
            throw Misuse(run, $"spin_unlock: the program does not hold the bpf_spin_lock at 0x{lockWord:x}; unlock only the lock it took with spin_lock");
        }
        holder.HeldLock = 0;
        Execution.BpfSpinLock.Exit((uint*)lockWord);
    }

    /// <summary>The run of this program (the current one or, from a callback, one it was called from) that holds a lock.</summary>
    private static ActiveRun? Holder(ActiveRun run)
    {
        for (var at = run; at is not null; at = at.IsCallback ? at.Below : null)
        {
            if (at.HeldLock != 0)
            {
                return at;
            }
        }
        return null;
    }

    private static void RequireLockWord(ActiveRun run, ulong lockWord, string helper)
    {
        var inMap = AccessPolicy.ClassifyMaps(run.Maps, lockWord, 4, write: true);
        if (inMap != AccessVerdict.Allowed)
        {
            throw HelperMemory.Fault(inMap, lockWord, 4, write: true, helper, "1 (lock): a bpf_spin_lock must lie in a map value the program may write");
        }
        if (lockWord % 4 != 0)
        {
            throw Misuse(run, $"{helper}: the bpf_spin_lock at 0x{lockWord:x} is not 4-byte aligned");
        }
    }

    private static BpfException Misuse(ActiveRun run, string message) =>
        BpfException.Create(DiagnosticCodes.SpinLockMisuse, message, run.Origin, run.ProgramName);
}
