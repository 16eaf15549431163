using Bpftime.Execution;
using Bpftime.Maps;

namespace Bpftime.Helpers;

/// <summary>bpf_tail_call (12) over <see cref="ProgramArrayMap"/>, through the target's <see cref="ITailCallTarget"/> (see <see cref="TailCalls"/>).</summary>
public static class TailCallHelpers
{
    /// <summary>
    /// tail_call(ctx, prog_array, index): on success the program does not go on (the engine continues in
    /// the target); on failure (empty slot, index out of range, chain of 33 reached) it goes on with a
    /// negative error in r0.
    /// </summary>
    public static HelperFunction TailCall { get; } = new(HelperIds.TailCall,
        static (_, map, index, _, _) =>
        {
            if (HelperArguments.Map(map, "tail_call") is not ProgramArrayMap programs)
            {
                return HelperFault.Errno(Errno.EINVAL);
            }
            return index > uint.MaxValue ? HelperFault.Errno(Errno.ENOENT) : (ulong)Request(programs.Get((uint)index));
        });

    /// <summary>
    /// Arms a tail call into <paramref name="target"/>: 0 when armed; -ENOENT for an empty slot;
    /// -EINVAL when no run of the target's engine is active on this thread, the chain is full, or the
    /// target cannot be entered from the running program.
    /// </summary>
    private static long Request(IBpfExecutable? target) => target switch
    {
        null => -Errno.ENOENT,
        ITailCallTarget own => own.ArmTailCall(),
        _ => -Errno.EINVAL,
    };
}
