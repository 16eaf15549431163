namespace Bpftime.Execution;

/// <summary>A span of native memory a program may access: start address, length, and whether it may write.</summary>
public readonly record struct MemoryRegion(nint Start, ulong Length, bool Writable)
{
    public bool Contains(ulong address, ulong size) =>
        address >= (ulong)Start && size <= Length && address - (ulong)Start <= Length - size;
}
