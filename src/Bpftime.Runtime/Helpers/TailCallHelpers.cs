using Bpftime.Engines;
using Bpftime.Maps;

namespace Bpftime.Helpers;

/// <summary>bpf_tail_call (12) over <see cref="ProgramArrayMap"/>, through the engines' <see cref="TailCalls"/>.</summary>
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
            return index > uint.MaxValue ? HelperFault.Errno(Errno.ENOENT) : (ulong)TailCalls.Request(programs.Get((uint)index));
        });
}
