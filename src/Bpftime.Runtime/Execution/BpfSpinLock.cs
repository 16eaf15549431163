namespace Bpftime.Execution;

/// <summary>
/// struct bpf_spin_lock inside map values: a u32 that is 0 when free, taken with a compare-and-swap.
/// Values that hold one may be updated with BPF_F_LOCK (the copy happens under the lock, which is not
/// overwritten) and locked by programs with bpf_spin_lock/bpf_spin_unlock.
/// </summary>
public static unsafe class BpfSpinLock
{
    /// <summary>The lock's size in bytes.</summary>
    public const int Size = 4;

    public static void Enter(uint* lockWord)
    {
        var spinner = default(SpinWait);
        while (Interlocked.CompareExchange(ref *lockWord, 1, 0) != 0)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>Takes the lock unless it stays taken for <paramref name="limit"/>; false then.</summary>
    public static bool TryEnter(uint* lockWord, TimeSpan limit)
    {
        var spinner = default(SpinWait);
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        while (Interlocked.CompareExchange(ref *lockWord, 1, 0) != 0)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
            if (spinner.Count % 1024 == 0 && System.Diagnostics.Stopwatch.GetElapsedTime(start) > limit)
            {
                return false;
            }
        }
        return true;
    }

    public static void Exit(uint* lockWord) => Volatile.Write(ref *lockWord, 0);

    /// <summary>Copies <paramref name="source"/> over <paramref name="target"/> under the lock at <paramref name="offset"/>, leaving the lock's bytes alone.</summary>
    public static void CopyLocked(ReadOnlySpan<byte> source, byte* target, int offset)
    {
        var lockWord = (uint*)(target + offset);
        Enter(lockWord);
        try
        {
            source[..offset].CopyTo(new Span<byte>(target, offset));
            var after = offset + Size;
            source[after..].CopyTo(new Span<byte>(target + after, source.Length - after));
        }
        finally
        {
            Exit(lockWord);
        }
    }
}
