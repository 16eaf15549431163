
namespace Bpftime.Helpers;

/// <summary>bpf_spin_lock (93) and bpf_spin_unlock (94) on a struct bpf_spin_lock in a map value (see <see cref="Maps.BpfSpinLock"/>).</summary>
public static unsafe class SpinLockHelpers
{
    public static HelperFunction Lock { get; } = new(HelperIds.SpinLock, "spin_lock",
        HelperPrototype.Of(HelperReturnKind.Void, HelperArgumentKind.SpinLock),
        static (lockWord, _, _, _, _) =>
        {
            if (lockWord != 0 && lockWord % 4 == 0)
            {
                Maps.BpfSpinLock.Enter((uint*)lockWord);
            }
            return 0;
        });

    public static HelperFunction Unlock { get; } = new(HelperIds.SpinUnlock, "spin_unlock",
        HelperPrototype.Of(HelperReturnKind.Void, HelperArgumentKind.SpinLock),
        static (lockWord, _, _, _, _) =>
        {
            if (lockWord != 0 && lockWord % 4 == 0)
            {
                Maps.BpfSpinLock.Exit((uint*)lockWord);
            }
            return 0;
        });

    public static IEnumerable<HelperFunction> All => [Lock, Unlock];
}
