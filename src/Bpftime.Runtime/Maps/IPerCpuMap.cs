namespace Bpftime.Maps;

/// <summary>A map that keeps one copy of each value per processor slot (see <see cref="PerCpu"/>).</summary>
public interface IPerCpuMap
{
    /// <summary>How many copies each value has.</summary>
    int SlotCount { get; }

    /// <summary>Bytes between two slots' copies of one value (the value size rounded up to 8), as the kernel lays out per-CPU values for user space.</summary>
    ulong SlotStride { get; }

    /// <summary>The address of the copy in <paramref name="slot"/> of the key's value, or 0 when the key is absent.</summary>
    nint LookupSlot(ReadOnlySpan<byte> key, int slot);
}
