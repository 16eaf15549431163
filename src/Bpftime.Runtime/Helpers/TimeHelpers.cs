using Bpftime.Maps;

namespace Bpftime.Helpers;

/// <summary>Clocks, random numbers and the processor id (Linux ids 5, 7, 8, 125, 160).</summary>
public static class TimeHelpers
{
    public static HelperFunction KtimeGetNs { get; } = new(HelperIds.KtimeGetNs, "ktime_get_ns",
        HelperPrototype.Of(HelperReturnKind.Integer),
        static (_, _, _, _, _) => NativeSystem.Nanoseconds(NativeSystem.ClockMonotonic));

    public static HelperFunction KtimeGetBootNs { get; } = new(HelperIds.KtimeGetBootNs, "ktime_get_boot_ns",
        HelperPrototype.Of(HelperReturnKind.Integer),
        static (_, _, _, _, _) => NativeSystem.Nanoseconds(NativeSystem.ClockBoottime));

    public static HelperFunction KtimeGetCoarseNs { get; } = new(HelperIds.KtimeGetCoarseNs, "ktime_get_coarse_ns",
        HelperPrototype.Of(HelperReturnKind.Integer),
        static (_, _, _, _, _) => NativeSystem.Nanoseconds(NativeSystem.ClockMonotonicCoarse));

    public static HelperFunction GetPrandomU32 { get; } = new(HelperIds.GetPrandomU32, "get_prandom_u32",
        HelperPrototype.Of(HelperReturnKind.Integer),
        static (_, _, _, _, _) => (uint)Random.Shared.Next() ^ ((uint)Random.Shared.Next() << 1));

    /// <summary>The slot per-CPU maps use for the calling thread, so that both agree.</summary>
    public static HelperFunction GetSmpProcessorId { get; } = new(HelperIds.GetSmpProcessorId, "get_smp_processor_id",
        HelperPrototype.Of(HelperReturnKind.Integer),
        static (_, _, _, _, _) => (ulong)PerCpu.CurrentSlot);

    public static IEnumerable<HelperFunction> All => [KtimeGetNs, KtimeGetBootNs, KtimeGetCoarseNs, GetPrandomU32, GetSmpProcessorId];
}
