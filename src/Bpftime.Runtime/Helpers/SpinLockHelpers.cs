
namespace Bpftime.Helpers;

/// <summary>bpf_spin_lock (93) and bpf_spin_unlock (94) on a struct bpf_spin_lock in a map value (see <see cref="Maps.BpfSpinLock"/>).</summary>
public static unsafe class SpinLockHelpers
{
    public static HelperFunction Lock { get; } = new(HelperIds.SpinLock, "spin_lock",
        HelperPrototype.Of(HelperReturnKind.Void, HelperArgumentKind.SpinLock),
        static (lockWord, _, _, _, _) =>
        {
            if (Held(lockWord, "spin_lock"))
            {
                Maps.BpfSpinLock.Enter((uint*)lockWord);
            }
            return 0;
        });

    public static HelperFunction Unlock { get; } = new(HelperIds.SpinUnlock, "spin_unlock",
        HelperPrototype.Of(HelperReturnKind.Void, HelperArgumentKind.SpinLock),
        static (lockWord, _, _, _, _) =>
        {
            if (Held(lockWord, "spin_unlock"))
            {
                Maps.BpfSpinLock.Exit((uint*)lockWord);
            }
            return 0;
        });

    public static IEnumerable<HelperFunction> All => [Lock, Unlock];

    /// <summary>Whether the lock word may be used; in a checked run it must lie in a map value the program may write.</summary>
    private static bool Held(ulong lockWord, string helper)
    {
        if (Engines.Checked.HelperMemory.Checking)
        {
            var run = Engines.Checked.ActiveRuns.Current!;
            var inMap = Engines.Checked.AccessPolicy.ClassifyMaps(run.Maps, lockWord, 4, write: true);
            if (inMap != Engines.Checked.AccessVerdict.Allowed)
            {
                throw Engines.Checked.HelperMemory.Fault(inMap, lockWord, 4, write: true, helper, "1 (lock): a bpf_spin_lock must lie in a map value the program may write");
            }
        }
        return lockWord != 0 && lockWord % 4 == 0;
    }
}
