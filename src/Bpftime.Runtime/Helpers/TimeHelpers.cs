using Bpftime.Maps;

namespace Bpftime.Helpers;

/// <summary>Clocks, random numbers and the processor id (Linux ids 5, 7, 8, 125, 160).</summary>
public static class TimeHelpers
{
    public static HelperFunction KtimeGetNs { get; } = new(HelperIds.KtimeGetNs,
        static (_, _, _, _, _) => NativeSystem.Nanoseconds(NativeSystem.ClockMonotonic));

    public static HelperFunction KtimeGetBootNs { get; } = new(HelperIds.KtimeGetBootNs,
        static (_, _, _, _, _) => NativeSystem.Nanoseconds(NativeSystem.ClockBoottime));

    public static HelperFunction KtimeGetCoarseNs { get; } = new(HelperIds.KtimeGetCoarseNs,
        static (_, _, _, _, _) => NativeSystem.Nanoseconds(NativeSystem.ClockMonotonicCoarse));

    public static HelperFunction GetPrandomU32 { get; } = new(HelperIds.GetPrandomU32,
        static (_, _, _, _, _) => (uint)Random.Shared.Next() ^ ((uint)Random.Shared.Next() << 1));

    /// <summary>The slot per-CPU maps use for the calling thread, so that both agree.</summary>
    public static HelperFunction GetSmpProcessorId { get; } = new(HelperIds.GetSmpProcessorId,
        static (_, _, _, _, _) => (ulong)PerCpu.CurrentSlot);

    public static IEnumerable<HelperFunction> All => [KtimeGetNs, KtimeGetBootNs, KtimeGetCoarseNs, GetPrandomU32, GetSmpProcessorId];
}
