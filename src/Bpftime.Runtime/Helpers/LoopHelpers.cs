using Bpftime.Engines;
using Bpftime.Execution;
using Bpftime.Maps;

namespace Bpftime.Helpers;

/// <summary>bpf_loop (181): calls a program function a bounded number of times.</summary>
public static class LoopHelpers
{
    /// <summary>The most iterations bpf_loop allows (BPF_MAX_LOOPS).</summary>
    public const ulong MaxLoops = 1UL << 23;

    /// <summary>
    /// loop(nr_loops, callback, ctx, flags): calls <c>long callback(u64 index, void *ctx)</c> for index
    /// 0..nr_loops-1 until it returns non-zero; returns the number of calls made, -E2BIG past
    /// <see cref="MaxLoops"/>, -EINVAL for flags.
    /// </summary>
    public static HelperFunction Loop { get; } = new(HelperIds.Loop,
        static (count, callback, context, flags, _) =>
        {
            if (flags != 0 || callback == 0)
            {
                return HelperFault.Errno(Errno.EINVAL);
            }
            if (count > MaxLoops)
            {
                return HelperFault.Errno(Errno.E2BIG);
            }
            for (ulong i = 0; i < count; i++)
            {
                var result = ProgramCallback.Invoke(callback, i, context);
                if (result != 0 || ProgramCallback.HasPendingFault)
                {
                    return i + 1;
                }
            }
            return count;
        });
}
