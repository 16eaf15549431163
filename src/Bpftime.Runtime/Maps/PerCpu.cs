namespace Bpftime.Maps;

/// <summary>
/// The slots of per-CPU maps: one per processor of the machine. A program uses the slot of the
/// processor its thread runs on at the moment of the call, as the kernel uses the current CPU's copy;
/// a thread that migrates between two accesses may see two slots, which is why programs update
/// per-CPU values with plain arithmetic only when a slot has one writer at a time (or use atomics).
/// </summary>
public static class PerCpu
{
    /// <summary>How many copies each per-CPU value has (Environment.ProcessorCount).</summary>
    public static int SlotCount { get; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>The slot of the processor the calling thread runs on.</summary>
    public static int CurrentSlot => (int)((uint)Thread.GetCurrentProcessorId() % (uint)SlotCount);
}
